package safety

import (
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"os"
	"strings"
	"testing"
)

// Nothing the package initialises compiles a pattern, a word set or a
// large regular expression: they are built by rules() on first use
// (compileSets), so a start does not pay for them (25 ms when they were
// package variables). A set added as a package variable's initial value
// fails here: add it to its file's *Sets function instead.
func TestNothingCompiledAtInit(t *testing.T) {
	compilers := map[string]bool{"patterns": true, "words": true, "compile": true, "appendPatterns": true, "MustCompile": true}
	// One short ASCII expression that tokenising uses is allowed.
	allowed := map[string]bool{"medicalCode": true}
	fset := gotoken.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, e := range entries {
		if name := e.Name(); strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") {
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
	}
	checked := 0
	found := map[string]bool{}
	report := func(vs *ast.ValueSpec) {
		if name := vs.Names[0].Name; !allowed[name] && !found[name] {
			found[name] = true
			t.Errorf("%s: %s is compiled when the package initialises", fset.Position(vs.Pos()), name)
		}
	}
	for _, f := range files {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != gotoken.VAR {
				continue
			}
			for _, s := range gd.Specs {
				vs := s.(*ast.ValueSpec)
				for _, v := range vs.Values {
					checked++
					ast.Inspect(v, func(n ast.Node) bool {
						if _, ok := n.(*ast.FuncLit); ok {
							// A function value is not run at init unless
							// called; a called literal is inspected by its
							// call below.
							return false
						}
						call, ok := n.(*ast.CallExpr)
						if !ok {
							return true
						}
						if lit, ok := call.Fun.(*ast.FuncLit); ok {
							ast.Inspect(lit.Body, func(m ast.Node) bool {
								if c, ok := m.(*ast.CallExpr); ok && compilers[calledName(c)] {
									report(vs)
								}
								return true
							})
							return false
						}
						if compilers[calledName(call)] {
							report(vs)
						}
						return true
					})
				}
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d package variables with values were read: is the test in the package's directory?", checked)
	}
}

func calledName(c *ast.CallExpr) string {
	switch fn := c.Fun.(type) {
	case *ast.Ident:
		return fn.Name
	case *ast.SelectorExpr:
		return fn.Sel.Name
	}
	return ""
}
