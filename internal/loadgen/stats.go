package loadgen

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"netdisk/internal/client"
	"netdisk/internal/proto"
)

// Latencies are recorded in whole microseconds (rounded up, so nothing
// reads as 0) from 1 µs to maxLatency, to 3 significant figures; a longer
// one is recorded as maxLatency.
const maxLatency = time.Hour

// recorder collects the outcome of every operation of a run.
type recorder struct {
	ops map[Op]*opStats
}

type opStats struct {
	mu     sync.Mutex
	count  int64 // operations done, errors included
	errors int64
	bytes  int64 // file bytes moved by successful operations
	hist   *hdrhistogram.Histogram
	codes  map[string]int64
}

func newRecorder(m Mix) *recorder {
	r := &recorder{ops: map[Op]*opStats{}}
	for _, w := range m {
		r.ops[w.Op] = &opStats{
			hist:  hdrhistogram.New(1, maxLatency.Microseconds(), 3),
			codes: map[string]int64{},
		}
	}
	return r
}

// record adds one operation: its latency (from its intended start) when
// it succeeded, its error code when it failed.
func (r *recorder) record(op Op, latency time.Duration, bytes int64, err error) {
	s := r.ops[op]
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count++
	if err != nil {
		s.errors++
		s.codes[ErrorCode(err)]++
		return
	}
	s.bytes += bytes
	us := (latency + time.Microsecond - 1).Microseconds()
	us = max(1, min(us, maxLatency.Microseconds()))
	s.hist.RecordValue(us)
}

// ErrorCode names an error for the report: the server's error code
// (rate_limited, quota_exceeded …), or what happened on this side
// (timeout, connection_lost, checksum_mismatch, canceled, other).
func ErrorCode(err error) string {
	var pe *proto.Error
	switch {
	case errors.As(err, &pe):
		return pe.Code
	case errors.Is(err, client.ErrTimeout):
		return "timeout"
	case errors.Is(err, client.ErrChecksumMismatch):
		return "checksum_mismatch"
	case errors.Is(err, client.ErrConnLost):
		return "connection_lost"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	}
	return "other"
}

// Latency is a latency distribution in microseconds.
type Latency struct {
	P50  int64 `json:"p50"`
	P90  int64 `json:"p90"`
	P99  int64 `json:"p99"`
	P999 int64 `json:"p99_9"`
	Max  int64 `json:"max"`
}

// OpReport is the outcome of one operation of the mix.
type OpReport struct {
	Count        int64            `json:"count"`  // operations done, errors included
	Errors       int64            `json:"errors"` // of Count
	Bytes        int64            `json:"bytes"`  // file bytes moved (put, get)
	OpsPerSec    float64          `json:"ops_per_s"`
	LatencyUS    Latency          `json:"latency_us"` // of the successful ones
	ErrorsByCode map[string]int64 `json:"errors_by_code"`
}

func (s *opStats) report(seconds float64) OpReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := OpReport{Count: s.count, Errors: s.errors, Bytes: s.bytes, ErrorsByCode: map[string]int64{}}
	if seconds > 0 {
		r.OpsPerSec = float64(s.count) / seconds
	}
	if s.hist.TotalCount() > 0 {
		r.LatencyUS = Latency{
			P50:  s.hist.ValueAtQuantile(50),
			P90:  s.hist.ValueAtQuantile(90),
			P99:  s.hist.ValueAtQuantile(99),
			P999: s.hist.ValueAtQuantile(99.9),
			Max:  s.hist.Max(),
		}
	}
	for c, n := range s.codes {
		r.ErrorsByCode[c] = n
	}
	return r
}
