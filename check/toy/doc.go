// Package toy is bitclone check's suite for msgpack toy nodes
// (specs/toy-msgpack-node.md, DIALECTS.md, issue 12): probes that send
// exact datagrams over UDP, each from a socket of its own, and judge the
// answers in codec/toy's words: ping and its pong, getpeerlist (well-formed
// [host, port] pairs, never the asker), a search for a file nobody has
// (silence) and for --file (a searchresult), the hop limit and the seen-set
// of a search passed on to another address of ours, results routed back
// along the search's path, getfile for a missing file and for --file (base64,
// every chunk), then an unknown msgtype and datagrams that are not msgpack,
// not a map, or cut short: each must leave the node answering pings. The
// run, the report and its root causes are package check's: UDP has no
// connection, so every probe needs a pong, and once our first ping gets
// none the rest are not run.
package toy
