package server

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportsOnlyProtoAndService: the TCP front door is framing plus calls
// on the service; it never reaches around the service to the file store or
// the user registry (the service maps their errors and types).
func TestImportsOnlyProtoAndService(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{
		"netdisk/internal/proto":   true,
		"netdisk/internal/service": true,
		// Log plumbing only: request ids in a context, no business.
		"netdisk/internal/reqlog": true,
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, "netdisk/") && !allowed[path] {
				t.Errorf("%s imports %s; the server may import only proto, service and reqlog", name, path)
			}
		}
	}
}
