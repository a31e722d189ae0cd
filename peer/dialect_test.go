package peer

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestDialectColonCommands(t *testing.T) {
	ran := ""
	d := Dialect{
		Encode: func(line string) ([]byte, error) {
			if line == "bad" {
				return nil, errors.New("cannot encode")
			}
			return []byte("<" + line + ">"), nil
		},
		ColonCommands: []ColonCommand{
			{Name: ":have", Usage: "PIECE", Help: "mark a piece as ours", Run: func(_ Node, args []string) (string, error) {
				ran = strings.Join(args, ",")
				return "ok", nil
			}},
			{Name: ":drop", Help: "a dialect cannot take a common command", Run: func(Node, []string) (string, error) { return "", nil }},
		},
	}
	c, err := d.Parse(":have 41 42")
	if err != nil || !reflect.DeepEqual(c, Command{Op: OpDialect, Name: ":have", Args: []string{"41", "42"}}) {
		t.Errorf("Parse(:have 41 42) = %+v, %v", c, err)
	}
	if out, err := d.Run(nil, c); out != "ok" || err != nil || ran != "41,42" {
		t.Errorf("Run: %q %v, ran with %q", out, err, ran)
	}
	if c, _ := d.Parse(":drop 1.2.3.4:5"); c.Op != OpDrop {
		t.Errorf(":drop is the common command, got %+v", c)
	}
	if got := d.ColonNames(); got[len(got)-2] != ":have" || len(got) != len(ColonCommands)+2 {
		t.Errorf("ColonNames %q", got)
	}
	if h := d.Help(); !strings.HasPrefix(h, CommandHelp) || !strings.Contains(h, "\n  :have PIECE          mark a piece as ours") {
		t.Errorf("Help:\n%s", h)
	}

	send, _ := d.Parse("ping")
	if err := d.Prepare(&send); err != nil || string(send.Frame) != "<ping>" {
		t.Errorf("Prepare: %q %v", send.Frame, err)
	}
	bad, _ := d.Parse("bad")
	if err := d.Prepare(&bad); err == nil || bad.Frame != nil {
		t.Errorf("Prepare of a line the dialect cannot encode: %q %v", bad.Frame, err)
	}
}
