package main

import (
	"os"
	"strings"
	"testing"
)

// childCommand names the environment variable that makes the test binary run one cartback
// command as its process (e.g. "worker"), so that fault tests can SIGKILL a real `cartback
// worker` without building the binary.
const childCommand = "CARTBACK_TEST_CHILD_COMMAND"

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(childCommand); ok {
		os.Exit(runProcess(strings.Fields(args)))
	}
	os.Exit(m.Run())
}
