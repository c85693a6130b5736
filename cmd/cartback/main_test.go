package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cartback/cartback/config"
)

// testEnv is an environment holding only vars, its stdout and stderr in one buffer.
func testEnv(vars map[string]string) (env, *bytes.Buffer) {
	e, out, _ := testEnvSplit(vars)
	e.stderr = out
	return e, out
}

// testEnvSplit is testEnv with stdout and stderr apart.
func testEnvSplit(vars map[string]string) (e env, stdout, stderr *bytes.Buffer) {
	stdout, stderr = &bytes.Buffer{}, &bytes.Buffer{}
	return env{
		lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok },
		stdin:  strings.NewReader(""),
		stdout: stdout,
		stderr: stderr,
	}, stdout, stderr
}

// runAsMain runs args as main would: it returns the exit status, and what the process would
// have written on stdout and stderr.
func runAsMain(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	e, out, errOut := testEnvSplit(vars)
	code = exitCode(run(context.Background(), args, e), errOut)
	return code, out.String(), errOut.String()
}

// TestEveryCommandHasItsHelp: --help and -h, alone or after arguments, print the command's usage
// on stdout and exit 0, for every command of the dispatch table.
func TestEveryCommandHasItsHelp(t *testing.T) {
	for _, c := range commands {
		for _, args := range [][]string{{"--help"}, {"-h"}, {"x", "--help"}, {"x", "y", "-h"}, {"-help"}} {
			code, stdout, stderr := runAsMain(t, nil, append([]string{c.name}, args...)...)
			if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "usage: cartback "+c.name) {
				t.Errorf("cartback %s %s: exit %d, stdout %q, stderr %q; want its usage on stdout", c.name, strings.Join(args, " "), code, stdout, stderr)
				continue
			}
			if !strings.Contains(stdout, "\nenvironment") {
				t.Errorf("cartback %s --help does not list its environment:\n%s", c.name, stdout)
			}
		}
		if code, stdout, _ := runAsMain(t, nil, "help", c.name); code != 0 || stdout != c.usage() {
			t.Errorf("cartback help %s: exit %d, %q", c.name, code, stdout)
		}
	}
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		code, stdout, _ := runAsMain(t, nil, args...)
		if code != 0 {
			t.Errorf("cartback %v: exit %d", args, code)
		}
		for _, c := range commands {
			if !strings.Contains(stdout, "\n  "+c.name) {
				t.Errorf("cartback %v does not list %s:\n%s", args, c.name, stdout)
			}
		}
	}
}

// TestEveryCommandReadsSettings: the dispatch table and config's commands are the same, so that
// every command's usage lists what it reads from the table.
func TestEveryCommandReadsSettings(t *testing.T) {
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	slices.Sort(names)
	want := config.Commands()
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("commands %v, config.Commands() %v", names, want)
	}
}

// TestWrongUse: an unknown flag, too few or too many arguments print the command's usage on
// stderr and exit 2, for every command.
func TestWrongUse(t *testing.T) {
	for _, c := range commands {
		uses := [][]string{{"-nope"}}
		if c.minArgs > 0 {
			uses = append(uses, slices.Repeat([]string{"x"}, c.minArgs-1))
		}
		if c.maxArgs >= 0 {
			uses = append(uses, slices.Repeat([]string{"x"}, c.maxArgs+1))
		}
		for _, args := range uses {
			code, stdout, stderr := runAsMain(t, nil, append([]string{c.name}, args...)...)
			if code != 2 || stdout != "" || !strings.HasPrefix(stderr, "cartback: "+c.name+": ") || !strings.Contains(stderr, "\nusage: cartback "+c.name) {
				t.Errorf("cartback %s %v: exit %d, stdout %q, stderr %q; want a usage error", c.name, args, code, stdout, stderr)
			}
		}
	}
	for _, args := range [][]string{nil, {"nope"}, {"help", "nope"}} {
		if code, _, stderr := runAsMain(t, nil, args...); code != 2 || !strings.Contains(stderr, "usage: cartback <command>") {
			t.Errorf("cartback %v: exit %d, %q", args, code, stderr)
		}
	}
}

// TestSettingsAreCheckedBeforeAnythingStarts: each command stops at once on a missing or invalid
// setting, naming the variable, without reaching Temporal.
func TestSettingsAreCheckedBeforeAnythingStarts(t *testing.T) {
	cart := filepath.Join(t.TempDir(), "cart.json")
	if err := os.WriteFile(cart, []byte(`{"cart_id": "c1"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	noDev := map[string]string{"CARTBACK_DATA_DIR": t.TempDir()} // no id_key there
	badMessages := filepath.Join(t.TempDir(), "messages.yaml")
	if err := os.WriteFile(badMessages, []byte(`fallback: en
locales:
  en:
    money: {decimal: ".", group: ","}
    reminder: "{{.Items}} {{.Total}} {{.Link}}"
    more_items: "and {{.Count}} more"
    coupon: "{{.Code}} gives {{.Discont}}"
    clarification: "Reply 1 or 2"
`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		vars map[string]string
		want []string
	}{
		{[]string{"worker"}, nil, []string{"WHATSAPP_TOKEN", "WHATSAPP_PHONE_NUMBER_ID"}},
		{[]string{"server"}, nil, []string{"CARTBACK_API_KEY", "CARTBACK_ID_KEY", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN"}},
		// Neither the variable nor the dev stack's file: the error says both ways.
		{[]string{"state", "c1"}, noDev, []string{"CARTBACK_ID_KEY", "run `cartback dev` first", filepath.Join(noDev["CARTBACK_DATA_DIR"], idKeyFile)}},
		{[]string{"reply", "+525512345678", "2"}, noDev, []string{"CARTBACK_ID_KEY", "run `cartback dev` first"}},
		{[]string{"start", cart}, map[string]string{"CARTBACK_REPLY_WINDOW": "soon"}, []string{"CARTBACK_REPLY_WINDOW"}},
		{[]string{"server"}, map[string]string{"CARTBACK_SENDS_PER_SECOND": "0"}, []string{"CARTBACK_SENDS_PER_SECOND"}},
		// A messages file with a field its text does not have stops the start at its line.
		{[]string{"start", cart}, map[string]string{"CARTBACK_MESSAGES_FILE": badMessages},
			[]string{"CARTBACK_MESSAGES_FILE", badMessages + ":7: locales.en.coupon: {{.Discont}} is not a field of the coupon text"}},
	} {
		e, _ := testEnv(tc.vars)
		err := run(context.Background(), tc.args, e)
		for _, v := range tc.want {
			if err == nil || !strings.Contains(err.Error(), v) {
				t.Errorf("%v: %v, want %s named", tc.args, err, v)
			}
		}
	}
}

func TestStartRefusesAnInvalidCartBeforeConnecting(t *testing.T) {
	e, _ := testEnv(map[string]string{"CARTBACK_ID_KEY": "0123456789abcdef", "TEMPORAL_ADDRESS": "127.0.0.1:1"})
	e.stdin = strings.NewReader(`{"cart_id": "c1", "currency": "XYZ"}`)
	err := run(context.Background(), []string{"start", "-"}, e)
	if err == nil || !strings.Contains(err.Error(), "currency") {
		t.Errorf("start: %v, want the invalid fields", err)
	}
}

// TestReplyRefusesANumberItWouldGuess: a number without + and its country code (5512345678 read as
// digits is +55…, Brazil) or not a number of its country is refused as a wrong use, before
// Temporal or the sandbox is asked (neither listens here).
func TestReplyRefusesANumberItWouldGuess(t *testing.T) {
	vars := map[string]string{"CARTBACK_ID_KEY": "0123456789abcdef", "TEMPORAL_ADDRESS": "127.0.0.1:1", "CARTBACK_HTTP_ADDR": "127.0.0.1:1"}
	for _, number := range []string{"5512345678", "525512345678", "+52 55", "+525512345678x"} {
		code, _, stderr := runAsMain(t, vars, "reply", number, "2")
		if code != 2 || !strings.Contains(stderr, "+<country code><number>") || strings.Contains(stderr, "cannot reach") {
			t.Errorf("reply %s: exit %d, %q; want it refused, naming the form", number, code, stderr)
		}
	}
	if code, _, stderr := runAsMain(t, vars, "reply", "+525512345678", "--"); code != 2 || !strings.Contains(stderr, "text is empty") {
		t.Errorf("reply without a text: exit %d, %q", code, stderr)
	}
}

// TestUnreachableStackIsSaidOnce: with no `cartback dev` running, state and reply fail in one line
// that names the dev stack's Temporal once, and exit 1.
func TestUnreachableStackIsSaidOnce(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, idKeyFile), []byte("0123456789abcdef0123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	port := closedPort(t)
	vars := map[string]string{
		"CARTBACK_DATA_DIR": dir, "CARTBACK_TEMPORAL_PORT": port,
		"TEMPORAL_CONFIG_FILE": filepath.Join(dir, "none.toml"), // not the machine's own profiles
	}
	for _, args := range [][]string{{"state", "c_1"}, {"reply", "+525512345678", "2"}} {
		code, stdout, stderr := runAsMain(t, vars, args...)
		out := stdout + stderr // the SDK's log lines too
		if code != 1 || strings.Count(out, "127.0.0.1:"+port) != 1 || strings.Count(out, "cannot reach Temporal") != 1 ||
			!strings.Contains(stderr, "is `cartback dev` running?") || strings.Count(strings.TrimSpace(out), "\n") != 0 {
			t.Errorf("%v: exit %d, output %q; want one line naming 127.0.0.1:%s once", args, code, out, port)
		}
	}
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return strconv.Itoa(port)
}

func TestExitCode(t *testing.T) {
	var stderr bytes.Buffer
	for _, tc := range []struct {
		err  error
		want int
	}{{nil, 0}, {errors.New("boom"), 1}, {&usageError{msg: "m", usage: "u\n"}, 2}} {
		if got := exitCode(tc.err, &stderr); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
	if got, want := stderr.String(), "cartback: boom\ncartback: m\n\nu\n"; got != want {
		t.Errorf("stderr %q, want %q", got, want)
	}
}
