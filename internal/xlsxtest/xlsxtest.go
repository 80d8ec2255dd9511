// Package xlsxtest reads .xlsx workbooks for tests with only archive/zip
// and encoding/xml, so tests check the file itself and not excelize's
// reading of excelize's writing. It is test support: nothing in the product
// imports it.
package xlsxtest

import (
	"archive/zip"
	"encoding/xml"
	"io"
	"path"
	"strconv"
	"strings"
	"testing"
)

// ReadUsers reads the "users" sheet of an .xlsx file (the workbook must
// hold exactly that one sheet). It returns the rows in order, each as its
// cells by column.
func ReadUsers(t testing.TB, file string) [][]Cell {
	t.Helper()
	zr, err := zip.OpenReader(file)
	if err != nil {
		t.Fatalf("opening %s as zip: %v", file, err)
	}
	defer zr.Close()

	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	decodeZipXML(t, zr, "xl/workbook.xml", &wb)
	if len(wb.Sheets) != 1 || wb.Sheets[0].Name != "users" {
		t.Fatalf("workbook sheets = %+v; want exactly one named users", wb.Sheets)
	}

	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	decodeZipXML(t, zr, "xl/_rels/workbook.xml.rels", &rels)
	sheetPath := ""
	for _, r := range rels.Rels {
		if r.ID == wb.Sheets[0].RID {
			sheetPath = r.Target
		}
	}
	switch {
	case sheetPath == "":
		t.Fatalf("no relationship %q in workbook.xml.rels", wb.Sheets[0].RID)
	case strings.HasPrefix(sheetPath, "/"):
		sheetPath = sheetPath[1:]
	default:
		sheetPath = path.Join("xl", sheetPath)
	}

	var shared []string
	if findZipFile(zr, "xl/sharedStrings.xml") != nil {
		var sst struct {
			Items []richText `xml:"si"`
		}
		decodeZipXML(t, zr, "xl/sharedStrings.xml", &sst)
		for _, si := range sst.Items {
			shared = append(shared, si.text())
		}
	}

	var ws struct {
		Rows []struct {
			R     int `xml:"r,attr"`
			Cells []struct {
				Ref    string   `xml:"r,attr"`
				Type   string   `xml:"t,attr"`
				Value  string   `xml:"v"`
				Inline richText `xml:"is"`
			} `xml:"c"`
		} `xml:"sheetData>row"`
	}
	decodeZipXML(t, zr, sheetPath, &ws)
	var rows [][]Cell
	for i, row := range ws.Rows {
		if row.R != i+1 {
			t.Fatalf("row element %d has r=%d; want rows numbered without gaps", i, row.R)
		}
		var cells []Cell
		for _, c := range row.Cells {
			col := columnIndex(t, c.Ref)
			for len(cells) <= col {
				cells = append(cells, Cell{})
			}
			cells[col].Type = c.Type
			switch c.Type {
			case "inlineStr":
				cells[col].Text = c.Inline.text()
			case "s":
				n, err := strconv.Atoi(c.Value)
				if err != nil || n < 0 || n >= len(shared) {
					t.Fatalf("cell %s: bad shared string index %q", c.Ref, c.Value)
				}
				cells[col].Text = shared[n]
			default: // numbers, booleans, formula strings: the value as written
				cells[col].Text = c.Value
			}
		}
		rows = append(rows, cells)
	}
	return rows
}

// Cell is one cell as stored: its text and its t attribute
// ("" for a number, "b" boolean, "inlineStr" or "s" text).
type Cell struct {
	Text string
	Type string
}

// richText is a string item: plain <t> or runs of <r><t>.
type richText struct {
	T    string `xml:"t"`
	Runs []struct {
		T string `xml:"t"`
	} `xml:"r"`
}

func (r richText) text() string {
	var b strings.Builder
	b.WriteString(r.T)
	for _, run := range r.Runs {
		b.WriteString(run.T)
	}
	return b.String()
}

func findZipFile(zr *zip.ReadCloser, name string) *zip.File {
	for _, f := range zr.File {
		if f.Name == name {
			return f
		}
	}
	return nil
}

func decodeZipXML(t testing.TB, zr *zip.ReadCloser, name string, v any) {
	t.Helper()
	f := findZipFile(zr, name)
	if f == nil {
		t.Fatalf("%s missing from the workbook", name)
	}
	rc, err := f.Open()
	if err != nil {
		t.Fatalf("opening %s: %v", name, err)
	}
	defer rc.Close()
	if err := xml.NewDecoder(io.LimitReader(rc, 1<<30)).Decode(v); err != nil {
		t.Fatalf("decoding %s: %v", name, err)
	}
}

// columnIndex turns the letters of a cell reference such as "AB12" into a
// zero-based column number.
func columnIndex(t testing.TB, ref string) int {
	t.Helper()
	col := 0
	for _, ch := range ref {
		if ch >= 'A' && ch <= 'Z' {
			col = col*26 + int(ch-'A'+1)
			continue
		}
		break
	}
	if col == 0 {
		t.Fatalf("bad cell reference %q", ref)
	}
	return col - 1
}
