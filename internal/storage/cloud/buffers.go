package cloud

import "sync"

// An upload keeps the bytes written since its last chunk in memory, up to
// a chunk. bufferPool bounds what all uploads of a store keep: each takes
// its allowance when it first writes, a whole chunk while the pool has
// room, else what is left, but never less than minBuffer; the chunks of an
// upload with a smaller allowance are smaller. So the memory uploads keep
// is at most Config.BufferMemory, plus minBuffer for each upload beyond
// what the pool holds whole.
type bufferPool struct {
	mu   sync.Mutex
	left int64
}

// minBuffer is the smallest allowance, and so the smallest chunk an
// upload stores unless it ends.
const minBuffer = 256 << 10

// take gives an allowance of up to want bytes.
func (b *bufferPool) take(want int) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := min(int64(want), max(b.left, minBuffer))
	b.left -= n
	return int(n)
}

// give returns an allowance.
func (b *bufferPool) give(n int) {
	b.mu.Lock()
	b.left += int64(n)
	b.mu.Unlock()
}

// allowance returns the most bytes u keeps in memory, taking it from the
// pool at the first call.
func (u *upload) allowance() int {
	if u.granted == 0 {
		u.granted = u.sp.st.buffers.take(u.sp.st.cfg.ChunkSize)
	}
	return u.granted
}

// dropBuffer lets go of the bytes in memory and gives the allowance back:
// the upload is over.
func (u *upload) dropBuffer() {
	u.mu.Lock()
	u.buf = nil
	u.mu.Unlock()
	if u.granted > 0 {
		u.sp.st.buffers.give(u.granted)
		u.granted = 0
	}
}
