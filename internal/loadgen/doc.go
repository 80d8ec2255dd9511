// Package loadgen is the engine of `netdisk bench`: a load generator that
// drives any netdisk server through internal/client with many clients at
// once, each on its own connection as its own user, in a closed loop (each
// client starts its next operation when the last one ends) or an open loop
// (operations started at a fixed total rate, their latency counted from
// the moment each was meant to start, so a stalled server shows up instead
// of hiding: the coordinated omission wrk2 corrects). Latencies go into HDR
// histograms; the Report holds the figures the command prints.
//
// It also holds idle logged-in connections open through a run, registers
// throwaway users (or takes given ones), works in a folder of its own per
// client and removes what it uploaded at the end. It never opens more
// connections that are not yet logged in than Config.MaxPreLogin, so a
// server's per-address pre-login limit is not tripped.
package loadgen
