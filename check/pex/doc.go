// Package pex is bitclone check's suite for PEX bootstrap nodes
// (specs/pex-bootstrap.md, DIALECTS.md "The course's PEX node"): probes
// that connect as a raw node, send exact messages (broken ones included)
// and judge the answers: a peer message naming our listener (answered by a
// peer list on our connection, or by the node dialling our listener back,
// as the course's node does), whether a peer list hands us our own
// address, an ask for a piece it has (the give hashed and sized) and one
// for a piece it lacks (silence is right), a truncated message and an
// oversize size prefix (it must survive them), and which byte order it
// speaks (reported, never failed). The run, the report and its root causes
// are package check's: every probe needs the node to understand a peer
// message, in one byte order or the other, so once it does not the rest
// are not run.
package pex
