package server_test

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// Every table has one owner: the only package whose code writes it. The
// owners are listed in docs/architecture.md ("Who writes which table");
// this test reads that list, checks it names every table the migrations
// create, and scans each package's source for writes (SQL in string
// literals, and GORM's Create/Save/Delete/Update on a models type) to
// tables it does not own. Other packages reach a table through its
// owner's exported operations.
func TestEveryTableIsWrittenByItsOwnerOnly(t *testing.T) {
	owners := readOwners(t)
	for _, table := range migratedTables(t) {
		if owners[table] == "" {
			t.Errorf("table %s has no owner in docs/architecture.md", table)
		}
	}
	dirs, err := filepath.Glob(filepath.Join("..", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, dir := range dirs {
		pkg := filepath.Base(dir)
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			for _, w := range writesIn(t, file) {
				if w.table == "" {
					found = append(found, w.where+": a write to a table named at run time ("+w.what+"); name the table in the SQL")
					continue
				}
				if owners[w.table] == "" {
					found = append(found, w.where+": writes "+w.table+", which no migration creates or no owner lists")
				} else if owners[w.table] != pkg {
					found = append(found, w.where+": "+pkg+" writes "+w.table+", owned by "+owners[w.table])
				}
			}
		}
	}
	sort.Strings(found)
	for _, f := range found {
		t.Error(f)
	}
}

var ownerRow = regexp.MustCompile("^\\| `([a-z_]+)` \\| `([a-z]+)` \\|")

// readOwners reads the ownership table of docs/architecture.md.
func readOwners(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	owners := map[string]string{}
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = line == "## Who writes which table"
			continue
		}
		if m := ownerRow.FindStringSubmatch(line); in && m != nil {
			if owners[m[1]] != "" {
				t.Errorf("table %s is listed twice", m[1])
			}
			owners[m[1]] = m[2]
		}
	}
	if len(owners) == 0 {
		t.Fatal(`docs/architecture.md has no "## Who writes which table" list`)
	}
	return owners
}

var createTable = regexp.MustCompile(`(?i)CREATE TABLE (?:IF NOT EXISTS )?([a-z_]+)`)

func migratedTables(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "..", "migrations", "*.sql"))
	seen := map[string]bool{}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range createTable.FindAllStringSubmatch(string(b), -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				out = append(out, m[1])
			}
		}
	}
	return out
}

type write struct {
	where, table, what string
}

var leadingName = regexp.MustCompile(`^[A-Za-z_]+`)

// SQL here is written in capitals: "update user" in an error message is
// not a write, nor is a row lock's strength "UPDATE" on its own.
var sqlVerb = regexp.MustCompile(`\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\b`)

// writesIn finds the writes in one Go file.
func writesIn(t *testing.T, file string) []write {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []write
	at := func(n ast.Node) string {
		p := fset.Position(n.Pos())
		return filepath.ToSlash(filepath.Join("app", filepath.Base(filepath.Dir(file)), filepath.Base(p.Filename))) + ":" + strconv.Itoa(p.Line)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.BasicLit:
			if x.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(x.Value)
			if err != nil || s == "UPDATE" {
				return true
			}
			for _, loc := range sqlVerb.FindAllStringIndex(s, -1) {
				before := strings.ToUpper(strings.TrimSpace(s[:loc[0]]))
				if strings.HasSuffix(before, "FOR") || strings.HasSuffix(before, "DO") || strings.HasSuffix(before, "ON") {
					continue // FOR UPDATE, ON CONFLICT … DO UPDATE, ON UPDATE
				}
				rest := strings.TrimLeftFunc(s[loc[1]:], unicode.IsSpace)
				if rest == "" {
					out = append(out, write{where: at(x), what: strings.TrimSpace(s[loc[0]:])})
					continue
				}
				name := strings.ToLower(leadingName.FindString(rest))
				if name == "set" && strings.EqualFold(strings.TrimSpace(s[loc[0]:loc[1]]), "UPDATE") {
					continue // "… DO UPDATE SET" split over lines
				}
				out = append(out, write{where: at(x), table: name})
			}
		case *ast.CallExpr:
			sel, ok := x.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			switch sel.Sel.Name {
			case "Create", "Save", "Delete", "Update", "Updates", "UpdateColumn", "UpdateColumns":
			default:
				return true
			}
			table := ""
			if len(x.Args) > 0 {
				table = modelTable(x.Args[0])
			}
			for recv := sel.X; table == ""; {
				call, ok := recv.(*ast.CallExpr)
				if !ok {
					break
				}
				s2, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					break
				}
				if s2.Sel.Name == "Model" && len(call.Args) > 0 {
					table = modelTable(call.Args[0])
				}
				if lit, ok := firstArg(call).(*ast.BasicLit); ok && s2.Sel.Name == "Table" {
					table, _ = strconv.Unquote(lit.Value)
				}
				recv = s2.X
			}
			if table != "" {
				out = append(out, write{where: at(x), table: table})
			}
		}
		return true
	})
	return out
}

func firstArg(c *ast.CallExpr) ast.Expr {
	if len(c.Args) == 0 {
		return nil
	}
	return c.Args[0]
}

// modelTable is GORM's table for &models.T{…}: snake case, plural.
func modelTable(e ast.Expr) string {
	u, ok := e.(*ast.UnaryExpr)
	if !ok || u.Op != token.AND {
		return ""
	}
	cl, ok := u.X.(*ast.CompositeLit)
	if !ok {
		return ""
	}
	sel, ok := cl.Type.(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	if id, ok := sel.X.(*ast.Ident); !ok || id.Name != "models" {
		return ""
	}
	return gormTable(sel.Sel.Name)
}

func gormTable(name string) string {
	if name == "Specialty" {
		return "specialties" // its TableName
	}
	var b strings.Builder
	r := []rune(name)
	for i, c := range r {
		if unicode.IsUpper(c) && i > 0 && (unicode.IsLower(r[i-1]) || i+1 < len(r) && unicode.IsLower(r[i+1])) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(c))
	}
	s := b.String()
	switch {
	case strings.HasSuffix(s, "y") && !strings.HasSuffix(s, "ey"):
		return s[:len(s)-1] + "ies"
	case strings.HasSuffix(s, "s"):
		return s + "es"
	}
	return s + "s"
}

// The scanner itself: each way of writing is found, reads and locks are not.
func TestOwnershipScannerFindsWrites(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "feature")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := "package feature\n\nfunc f() {\n" +
		"\tdb.Exec(`UPDATE users SET on_duty = true`)\n" +
		"\tdb.Exec(`INSERT INTO notifications (user_id) VALUES (1) ON CONFLICT (id) DO UPDATE SET user_id = 2`)\n" +
		"\tdb.Exec(`DELETE FROM rate_limits`)\n" +
		"\tdb.Exec(`UPDATE ` + table + ` SET x = 1`)\n" +
		"\tdb.Model(&models.APIToken{}).Where(\"id = 1\").Update(\"name\", \"x\")\n" +
		"\tdb.Create(&models.PostRevision{PostID: 1})\n" +
		"\tdb.Table(\"search_queue\").Where(\"x\").Delete(nil)\n" +
		"\tdb.Raw(`SELECT * FROM threads FOR UPDATE SKIP LOCKED`)\n" +
		"\tdb.Model(&models.User{}).Where(\"id = 1\").Count(&n)\n" +
		"\tdb.Clauses(clause.Locking{Strength: \"UPDATE\"})\n" +
		"\t_ = fmt.Errorf(\"auth: update user %d\", 1)\n}\n"
	file := filepath.Join(dir, "f.go")
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range writesIn(t, file) {
		if w.table == "" {
			got = append(got, "(run time)")
		} else {
			got = append(got, w.table)
		}
	}
	want := []string{"users", "notifications", "rate_limits", "(run time)", "api_tokens", "post_revisions", "search_queue"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("found %v, want %v", got, want)
	}
}
