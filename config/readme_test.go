package config

import (
	"flag"
	"os"
	"slices"
	"strings"
	"testing"
)

// go test ./config -run TestREADME -update rewrites the README's configuration table from the table.
var update = flag.Bool("update", false, "rewrite the README's configuration table from Variables()")

const readmePath = "../README.md"

// markdownTable renders Variables() as the README's configuration table.
func markdownTable() []string {
	lines := []string{"| variable | default | read by | what it is |", "| --- | --- | --- | --- |"}
	for _, s := range settings {
		def := ""
		switch {
		case len(s.RequiredBy) > 0:
			def = "(required by " + strings.Join(s.RequiredBy, ", ") + ")"
		case s.Default != "":
			def = "`" + s.Default + "`"
		case s.requiredWith != "":
			def = "(required with `" + s.requiredWith + "`)"
		}
		readBy := strings.Join(s.ReadBy, ", ")
		if len(s.ReadBy) == len(everyCommand) {
			readBy = "all"
		}
		what := s.Description
		if s.Secret {
			what = "(secret) " + what
		}
		row := "| `" + s.Name + "` | " + def + " | " + readBy + " | " + what + " |"
		lines = append(lines, strings.ReplaceAll(row, "|  |", "| |"))
	}
	return lines
}

// configurationTable finds the table in the README's Configuration section: the lines from its
// first table line to its last.
func configurationTable(t *testing.T, readme []string) (start, end int) {
	t.Helper()
	section := slices.Index(readme, "## Configuration")
	if section < 0 {
		t.Fatal("the README has no \"## Configuration\" heading")
	}
	start, end = -1, -1
	for i := section + 1; i < len(readme) && !strings.HasPrefix(readme[i], "#"); i++ {
		if strings.HasPrefix(readme[i], "|") {
			if start < 0 {
				start = i
			} else if end != i {
				t.Fatalf("README.md:%d: a second table in the Configuration section", i+1)
			}
			end = i + 1
		}
	}
	if start < 0 {
		t.Fatal("the README's Configuration section has no table")
	}
	return start, end
}

// tableNames reads the variable names of a table's rows: their first cell, in backticks.
func tableNames(rows []string) []string {
	var names []string
	for _, row := range rows {
		cells := strings.Split(strings.Trim(row, "| "), "|")
		name := strings.TrimSpace(cells[0])
		if strings.HasPrefix(name, "`") && strings.HasSuffix(name, "`") {
			names = append(names, strings.Trim(name, "`"))
		}
	}
	return names
}

// TestREADMEConfigurationTable: the README's configuration table lists exactly Variables(), and is
// the one markdownTable renders.
func TestREADMEConfigurationTable(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	readme := strings.Split(string(raw), "\n")
	start, end := configurationTable(t, readme)
	want := markdownTable()

	if *update {
		readme = slices.Replace(readme, start, end, want...)
		if err := os.WriteFile(readmePath, []byte(strings.Join(readme, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}

	var names []string
	for _, v := range Variables() {
		names = append(names, v.Name)
	}
	got := tableNames(readme[start:end])
	for _, n := range got {
		if !slices.Contains(names, n) {
			t.Errorf("the README documents %s, which cartback does not read", n)
		}
	}
	for _, n := range names {
		if !slices.Contains(got, n) {
			t.Errorf("the README does not document %s", n)
		}
	}
	if !slices.Equal(readme[start:end], want) {
		for i, line := range want {
			if i >= end-start || readme[start+i] != line {
				t.Errorf("README.md:%d differs from the table:\n got %q\nwant %q", start+i+1, at(readme[start:end], i), line)
				break
			}
		}
		t.Error("the README's configuration table is out of date: go test ./config -run TestREADME -update")
	}
}

func at(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(nothing)"
}
