package toy

import (
	"errors"
	"fmt"
)

// ChunkHeadroom is what a filecontents datagram keeps for its keys beside
// the base64 text (msgtype, msgid, replyto, chunk, chunks and size take
// under 100 bytes).
const ChunkHeadroom = 1024

// MaxChunkSize is the largest chunk whose filecontents datagram fits
// MaxDatagram with ChunkHeadroom to spare: base64 makes 4 bytes of 3.
const MaxChunkSize = (MaxDatagram - ChunkHeadroom) / 4 * 3

// DefaultChunkSize is the chunk bitclone sends: a datagram of about 44 KB,
// so a lost one costs less than a full one.
const DefaultChunkSize = 32 << 10

// ChunkCount is how many chunks of chunkSize a file of size bytes makes;
// an empty file is one empty chunk, so a getfile always has an answer.
func ChunkCount(size int64, chunkSize int) int {
	if size <= 0 {
		return 1
	}
	return int((size + int64(chunkSize) - 1) / int64(chunkSize))
}

// Split cuts data into chunks of chunkSize bytes (the last may be
// shorter); the chunks share data's memory. chunkSize must be from 1 to
// MaxChunkSize, and data at most MaxChunks chunks.
func Split(data []byte, chunkSize int) ([][]byte, error) {
	if chunkSize < 1 || chunkSize > MaxChunkSize {
		return nil, fmt.Errorf("chunk size %d: want 1 to %d", chunkSize, MaxChunkSize)
	}
	n := ChunkCount(int64(len(data)), chunkSize)
	if n > MaxChunks {
		return nil, fmt.Errorf("%d bytes make %d chunks: at most %d", len(data), n, MaxChunks)
	}
	out := make([][]byte, 0, n)
	for i := range n {
		out = append(out, data[i*chunkSize:min((i+1)*chunkSize, len(data))])
	}
	return out, nil
}

// ErrMissingChunk is Reassemble's error when a chunk is nil (not yet received).
var ErrMissingChunk = errors.New("missing chunk")

// Reassemble joins chunks, verifying the file: every chunk there, all but
// the last of one size and the last no longer, and size bytes in all.
func Reassemble(chunks [][]byte, size int64) ([]byte, error) {
	if len(chunks) == 0 || len(chunks) > MaxChunks {
		return nil, fmt.Errorf("%d chunks: want 1 to %d", len(chunks), MaxChunks)
	}
	if size < 0 || size > MaxFileSize {
		return nil, fmt.Errorf("size %d: want 0 to %d", size, MaxFileSize)
	}
	var total int64
	for i, c := range chunks {
		if c == nil {
			return nil, fmt.Errorf("chunk %d: %w", i, ErrMissingChunk)
		}
		if i > 0 && i < len(chunks)-1 && len(c) != len(chunks[0]) {
			return nil, fmt.Errorf("chunk %d: %d bytes, chunk 0 has %d", i, len(c), len(chunks[0]))
		}
		if i == len(chunks)-1 && i > 0 && len(c) > len(chunks[0]) {
			return nil, fmt.Errorf("chunk %d: %d bytes, more than chunk 0's %d", i, len(c), len(chunks[0]))
		}
		total += int64(len(c))
	}
	if total != size {
		return nil, fmt.Errorf("%d bytes in the chunks, the file has %d", total, size)
	}
	out := make([]byte, 0, total)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return out, nil
}

// FileChunk is the filecontents answering a getfile (msgid replyTo) for
// chunk of data cut into chunkSize chunks: what a node sends, without
// splitting the whole file. A getfile without chunk asks for chunk 0.
func FileChunk(id, replyTo int64, data []byte, chunk, chunkSize int) (Message, error) {
	if chunkSize < 1 || chunkSize > MaxChunkSize {
		return Message{}, fmt.Errorf("chunk size %d: want 1 to %d", chunkSize, MaxChunkSize)
	}
	n := ChunkCount(int64(len(data)), chunkSize)
	if n > MaxChunks {
		return Message{}, fmt.Errorf("%d bytes make %d chunks: at most %d", len(data), n, MaxChunks)
	}
	if chunk < 0 || chunk >= n {
		return Message{}, fmt.Errorf("chunk %d of %d", chunk, n)
	}
	part := data[chunk*chunkSize : min((chunk+1)*chunkSize, len(data))]
	return FileContents(id, replyTo, part, chunk, n, int64(len(data))), nil
}
