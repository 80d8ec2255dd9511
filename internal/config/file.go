package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// Error is a setting that could not be used: where it was written (a
// file and line, or an environment variable), its key and what is wrong.
type Error struct {
	Where string // "netdisk.toml:7" or "NETDISK_MAX_CONNS"
	Key   string // "max_conns"; "" when the problem is the file's syntax
	Msg   string
}

func (e *Error) Error() string {
	if e.Key == "" {
		return e.Where + ": " + e.Msg
	}
	return e.Where + ": " + e.Key + ": " + e.Msg
}

// applyFile sets the values written in a TOML file (named path, holding
// data) in dst and records their lines in src. Every problem is
// reported, each as an *Error, joined.
func applyFile(dst *Settings, src map[string]Source, path string, data []byte) error {
	// go-toml checks the whole document first (syntax, keys given twice)
	// and decodes the values; its parser then tells each key's line.
	var values map[string]any
	if err := toml.Unmarshal(data, &values); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			line, _ := de.Position()
			return &Error{Where: fmt.Sprintf("%s:%d", path, line), Msg: strings.TrimPrefix(de.Error(), "toml: ")}
		}
		return &Error{Where: path, Msg: err.Error()}
	}
	var errs []error
	var p unstable.Parser
	p.Reset(data)
	inTable := false // keys after a table header are the table's: reported with it
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			inTable = true
			it := e.Key()
			it.Next()
			where := fmt.Sprintf("%s:%d", path, p.Shape(it.Node().Raw).Start.Line)
			errs = append(errs, &Error{Where: where, Msg: fmt.Sprintf("[%s]: no setting is a table; write every key at the top of the file", showKey(joinKey(e.Key())))})
		case unstable.KeyValue:
			if inTable {
				continue
			}
			it := e.Key()
			it.Next()
			where := fmt.Sprintf("%s:%d", path, p.Shape(it.Node().Raw).Start.Line)
			key := joinKey(e.Key())
			s := byKey(key)
			if s == nil {
				errs = append(errs, &Error{Where: where, Key: showKey(key), Msg: unknownKey(key)})
				continue
			}
			v, err := s.parseTOML(values[key])
			if err != nil {
				errs = append(errs, &Error{Where: where, Key: key, Msg: err.Error()})
				continue
			}
			s.assign(dst, v)
			src[s.name] = Source{Kind: FromFile, Where: where}
		}
	}
	if err := p.Error(); err != nil {
		return &Error{Where: path, Msg: err.Error()} // (Unmarshal above would have said it first)
	}
	return errors.Join(errs...)
}

func joinKey(it unstable.Iterator) string {
	var parts []string
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return strings.Join(parts, ".")
}

// showKey writes a key as the file may have it: quoted if it has
// characters a bare key cannot.
func showKey(key string) string {
	for _, r := range key {
		if !isBareKeyRune(r) {
			return strconv.Quote(key)
		}
	}
	return key
}

func isBareKeyRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.'
}

func unknownKey(key string) string {
	if s := byKey(strings.ReplaceAll(key, "-", "_")); s != nil {
		return fmt.Sprintf("unknown key; did you mean %s? (keys are written with _)", s.key())
	}
	return "unknown key (netdisk serve --help lists every setting)"
}
