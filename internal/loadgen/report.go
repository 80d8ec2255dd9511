package loadgen

import (
	"fmt"
	"time"
)

// Report is what a run measured. Its JSON form is the document
// `netdisk bench --json` prints; the README lists its fields.
type Report struct {
	Server      string `json:"server"`
	TLS         bool   `json:"tls"`
	Fingerprint string `json:"fingerprint,omitempty"`
	RunID       string `json:"run_id"`

	Clients   int     `json:"clients"`
	Loop      string  `json:"loop"`           // "closed" or "open"
	Rate      float64 `json:"rate,omitempty"` // open loop: the operations a second asked for
	Mix       string  `json:"mix"`            // as --mix reads it
	Sizes     []int64 `json:"sizes"`          // file sizes of puts, bytes
	Requests  int64   `json:"requests"`       // -n (0: ran for a duration)
	Seconds   float64 `json:"seconds"`        // from the first operation to the end of the last
	Ops       int64   `json:"ops"`            // operations done, errors included
	Errors    int64   `json:"errors"`         // of Ops
	OpsPerS   float64 `json:"ops_per_s"`      // Ops / Seconds
	Bytes     int64   `json:"bytes"`          // file bytes moved by put and get
	MBPerS    float64 `json:"mb_per_s"`       // Bytes / Seconds / 10^6
	Latency   string  `json:"latency_from"`   // "operation_start" or "intended_start"
	IdleHeld  int     `json:"idle_held"`      // idle connections held through the run
	IdleLost  int     `json:"idle_lost"`      // of them, ended before the run did
	IdleUsers int     `json:"idle_users"`     // users they were spread over

	Operations   map[Op]OpReport  `json:"operations"`
	ErrorsByCode map[string]int64 `json:"errors_by_code"`

	Users          UsersReport `json:"users"`
	FoldersRemoved int         `json:"folders_removed"` // the clients' folders, with what they uploaded
	CleanupErrors  []string    `json:"cleanup_errors"`
}

// UsersReport says which accounts a run used; registered ones stay on
// the server.
type UsersReport struct {
	Registered int64  `json:"registered"`       // throwaway users made by this run (they stay)
	Prefix     string `json:"prefix,omitempty"` // their names: PREFIX0000, PREFIX0001 …
	Given      int    `json:"given"`            // accounts from --users
}

func (r *run) usersReport() UsersReport {
	return UsersReport{Registered: r.registered.Load(), Prefix: "bench-" + r.id + "-"}
}

// keptNote is said after an error once users were registered.
func (u UsersReport) keptNote() string {
	if u.Registered == 0 {
		return ""
	}
	return fmt.Sprintf("; the %d users registered (%s0000 …) stay on the server", u.Registered, u.Prefix)
}

// KeptNote says which registered users stay on the server ("" if none).
func (u UsersReport) KeptNote() string {
	if u.Registered == 0 {
		return ""
	}
	return fmt.Sprintf("the %d users this run registered (%s0000 to %s%04d) stay on the server; an administrator removes users (see the README, Removing a user), or pass them to the next run with --users (--save-users FILE writes them)",
		u.Registered, u.Prefix, u.Prefix, u.Registered-1)
}

func (rep *Report) fill(cfg Config, rec *recorder, elapsed time.Duration) {
	rep.Clients = cfg.Clients
	rep.Loop, rep.Latency = "closed", "operation_start"
	if cfg.Rate > 0 {
		rep.Loop, rep.Latency, rep.Rate = "open", "intended_start", cfg.Rate
	}
	rep.Mix = cfg.Mix.String()
	rep.Sizes = cfg.Sizes
	rep.Requests = cfg.Requests
	rep.Seconds = elapsed.Seconds()
	rep.Operations = map[Op]OpReport{}
	rep.ErrorsByCode = map[string]int64{}
	for _, w := range cfg.Mix {
		o := rec.ops[w.Op].report(rep.Seconds)
		rep.Operations[w.Op] = o
		rep.Ops += o.Count
		rep.Errors += o.Errors
		rep.Bytes += o.Bytes
		for c, n := range o.ErrorsByCode {
			rep.ErrorsByCode[c] += n
		}
	}
	if rep.Seconds > 0 {
		rep.OpsPerS = float64(rep.Ops) / rep.Seconds
		rep.MBPerS = float64(rep.Bytes) / rep.Seconds / 1e6
	}
	if rep.CleanupErrors == nil {
		rep.CleanupErrors = []string{}
	}
}
