package daemon_test

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
)

// duplicateKey returns a key that appears twice in one object of the JSON
// text, or "". It reads tokens, since decoding into a map would keep one
// of the two silently.
func duplicateKey(line string) (string, error) {
	dec := json.NewDecoder(strings.NewReader(line))
	type object struct {
		seen    map[string]bool
		wantKey bool
	}
	var stack []*object // objects open; nil entries for arrays
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		var top *object
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.wantKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1] != nil {
					stack[len(stack)-1].wantKey = true // the object was a value
				}
				continue
			}
			key, ok := tok.(string)
			if !ok {
				return "", fmt.Errorf("a key that is not a string: %v", tok)
			}
			if top.seen[key] {
				return key, nil
			}
			top.seen[key] = true
			top.wantKey = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &object{seen: map[string]bool{}, wantKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, nil)
			continue
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value ended (a scalar, or a closed array): the enclosing
		// object expects a key again.
		if len(stack) > 0 && stack[len(stack)-1] != nil {
			stack[len(stack)-1].wantKey = true
		}
	}
}

func TestDuplicateKey(t *testing.T) {
	for _, tc := range []struct{ line, dup string }{
		{`{"a":1,"b":"x"}`, ""},
		{`{"a":1,"a":2}`, "a"},
		{`{"a":{"b":1,"c":[1,{"b":2}]},"b":3}`, ""},
		{`{"a":{"b":1,"b":2}}`, "b"},
		{`{"a":[{"x":1},{"x":2}],"x":{},"y":[]}`, ""},
		{`{"a":[],"a":[]}`, "a"},
	} {
		got, err := duplicateKey(tc.line)
		if err != nil || got != tc.dup {
			t.Errorf("duplicateKey(%s) = %q, %v; want %q", tc.line, got, err, tc.dup)
		}
	}
}

// TestLogLinesOfOneRequestShareItsID reads the JSON log of a server that
// served a few requests on both doors: no line has a key twice, every line
// logged for a request carries the request's id (req) and its door, and
// the lines the service logs in the middle of a request carry the same
// ids as that request's own line.
func TestLogLinesOfOneRequestShareItsID(t *testing.T) {
	o := startObserved(t)
	c := o.exercise(t)
	c.Close()
	o.d.Shutdown(t.Context())
	o.d = nil

	var lines []map[string]any
	for _, text := range strings.Split(strings.TrimSpace(o.logs.String()), "\n") {
		if dup, err := duplicateKey(text); err != nil || dup != "" {
			t.Errorf("key %q twice (or not JSON: %v) in %s", dup, err, text)
		}
		var line map[string]any
		if err := json.Unmarshal([]byte(text), &line); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, line)
	}

	// Every line of a request (it names the request's type) has its id;
	// one id always comes with the same door and connection.
	type ids struct{ door, conn any }
	byReq := map[any]ids{}
	for _, l := range lines {
		if _, ok := l["type"]; ok && l["req"] == nil {
			t.Errorf("a request's line without its id: %v", l)
		}
		if l["req"] == nil {
			continue
		}
		if l["door"] == nil {
			t.Errorf("a request's line without its door: %v", l)
		}
		cur := ids{l["door"], l["conn"]}
		if prev, ok := byReq[l["req"]]; ok && prev != cur {
			t.Errorf("req %v: door and connection %v, then %v", l["req"], prev, cur)
		}
		byReq[l["req"]] = cur
	}

	// find returns the lines whose fields hold want.
	find := func(want map[string]any) []map[string]any {
		var out []map[string]any
	next:
		for _, l := range lines {
			for k, v := range want {
				if fmt.Sprint(l[k]) != fmt.Sprint(v) {
					continue next
				}
			}
			out = append(out, l)
		}
		return out
	}
	// one is the single request line matching want.
	one := func(want map[string]any) map[string]any {
		t.Helper()
		found := find(want)
		if len(found) != 1 {
			t.Fatalf("%d lines with %v, want 1", len(found), want)
		}
		return found[0]
	}
	protocolLine := []string{"time", "level", "msg", "door", "conn", "remote", "req", "type", "id", "code", "took"}
	webLine := []string{"time", "level", "msg", "door", "remote", "method", "req", "type", "code", "status", "took"}
	for _, tc := range []struct {
		request map[string]any // the request's own line
		fields  []string       // it has at least these
		service string         // the msg of a line logged inside it
	}{
		{map[string]any{"msg": "request", "door": "protocol", "type": "register"}, protocolLine, "registered"},
		{map[string]any{"msg": "request", "door": "protocol", "type": "login", "code": "auth_failed"}, append(protocolLine, "err"), "login failed"},
		{map[string]any{"msg": "request", "door": "protocol", "type": "login", "code": "ok"}, append(protocolLine, "user"), "login"},
		{map[string]any{"msg": "request", "door": "protocol", "type": "put", "code": "ok"}, append(protocolLine, "user"), "stored"},
		{map[string]any{"msg": "request", "door": "web", "type": "login", "code": "ok"}, append(webLine, "user"), "login"},
	} {
		req := one(tc.request)
		for _, f := range tc.fields {
			if _, ok := req[f]; !ok {
				t.Errorf("request line %v lacks %s", req, f)
			}
		}
		inner := find(map[string]any{"msg": tc.service, "req": req["req"]})
		if len(inner) != 1 {
			t.Errorf("%d %q lines carry req %v of %v, want 1", len(inner), tc.service, req["req"], tc.request)
			continue
		}
		if inner[0]["door"] != req["door"] || inner[0]["conn"] != req["conn"] {
			t.Errorf("%q line %v and its request's %v differ in door or connection", tc.service, inner[0], req)
		}
	}
	// Each protocol request has its own id, even on one connection.
	if a, b := one(map[string]any{"msg": "request", "type": "register"}), one(map[string]any{"msg": "request", "door": "protocol", "type": "ls"}); a["req"] == b["req"] || a["conn"] != b["conn"] {
		t.Errorf("two requests of one connection: req %v and %v, conn %v and %v", a["req"], b["req"], a["conn"], b["conn"])
	}
}
