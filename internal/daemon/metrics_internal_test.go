package daemon

import "testing"

func TestMetricsAddrBindsLoopbackWithoutAHost(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{":9090", "127.0.0.1:9090"},
		{"127.0.0.1:0", "127.0.0.1:0"},
		{"0.0.0.0:9090", "0.0.0.0:9090"},
		{"[::1]:9090", "[::1]:9090"},
		{"metrics.example:9090", "metrics.example:9090"},
	} {
		if got := metricsAddr(tc.in); got != tc.want {
			t.Errorf("metricsAddr(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
