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
// hold that sheet first, and may hold an "About" sheet after it). It
// returns the rows in order, each as its cells by column.
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
	if len(wb.Sheets) == 0 || wb.Sheets[0].Name != "users" || len(wb.Sheets) > 2 || (len(wb.Sheets) == 2 && wb.Sheets[1].Name != "About") {
		t.Fatalf("workbook sheets = %+v; want users, then About if any", wb.Sheets)
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

	// Styles: cell style index -> number format code.
	var styles struct {
		NumFmts []struct {
			ID   int    `xml:"numFmtId,attr"`
			Code string `xml:"formatCode,attr"`
		} `xml:"numFmts>numFmt"`
		Xfs []struct {
			NumFmtID int `xml:"numFmtId,attr"`
		} `xml:"cellXfs>xf"`
	}
	if findZipFile(zr, "xl/styles.xml") != nil {
		decodeZipXML(t, zr, "xl/styles.xml", &styles)
	}
	fmts := map[int]string{}
	for id, code := range builtinNumFmts {
		fmts[id] = code
	}
	for _, f := range styles.NumFmts {
		fmts[f.ID] = f.Code
	}
	numFmtOf := func(style string) string {
		if style == "" {
			return ""
		}
		i, err := strconv.Atoi(style)
		if err != nil || i < 0 || i >= len(styles.Xfs) {
			t.Fatalf("bad cell style %q", style)
		}
		return fmts[styles.Xfs[i].NumFmtID]
	}

	var ws struct {
		Dimension struct {
			Ref string `xml:"ref,attr"`
		} `xml:"dimension"`
		AutoFilter struct {
			Ref string `xml:"ref,attr"`
		} `xml:"autoFilter"`
		Panes []struct {
			State string `xml:"state,attr"`
		} `xml:"sheetViews>sheetView>pane"`
		Rows []struct {
			R     int `xml:"r,attr"`
			Cells []struct {
				Ref    string   `xml:"r,attr"`
				Type   string   `xml:"t,attr"`
				Style  string   `xml:"s,attr"`
				Value  string   `xml:"v"`
				Inline richText `xml:"is"`
			} `xml:"c"`
		} `xml:"sheetData>row"`
	}
	decodeZipXML(t, zr, sheetPath, &ws)
	lastSheet = Sheet{Dimension: ws.Dimension.Ref, AutoFilter: ws.AutoFilter.Ref}
	for _, p := range ws.Panes {
		lastSheet.Frozen = lastSheet.Frozen || p.State == "frozen"
	}
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
			cells[col].NumFmt = numFmtOf(c.Style)
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

// Cell is one cell as stored: its text, its t attribute ("" for a
// number, "b" boolean, "inlineStr" or "s" text) and the number format
// its style gives it ("" for General).
type Cell struct {
	Text   string
	Type   string
	NumFmt string
}

// Sheet is what the users sheet declares about itself.
type Sheet struct {
	Dimension  string // <dimension ref>
	AutoFilter string // <autoFilter ref>, "" if none
	Frozen     bool   // a frozen pane
}

// builtinNumFmts are the number formats Excel knows by id (those a
// writer may refer to without declaring them).
var builtinNumFmts = map[int]string{0: "", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 14: "mm-dd-yy", 22: "m/d/yy h:mm"}

// lastSheet is what the last ReadUsers found about the sheet itself.
var lastSheet Sheet

// ReadSheet reads what the users sheet of file declares about itself.
func ReadSheet(t testing.TB, file string) Sheet {
	t.Helper()
	ReadUsers(t, file)
	return lastSheet
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
