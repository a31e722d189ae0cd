// Command bitclone is a terminal peer for the BitClone P2P protocol.
package main

import (
	"os"

	"github.com/bitclone/bitclone/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
