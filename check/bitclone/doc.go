// Package bitclone is bitclone check's suite for BitClone peers: probes
// that connect as a raw client, send exact bytes (broken ones included),
// and judge the answers against specs/bitclone.md and BITCLONE-NOTES.md.
// The run, the report and its root causes are package check's.
//
// A run claims one address of ours: check listens there while it lasts,
// and every version the probes send names it as the sender. The peer learns
// (and gossips) that address only, and whoever dials it gets a handshake.
package bitclone
