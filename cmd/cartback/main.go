// Command cartback runs cartback's parts, each configured from the environment (see the README's
// table):
//
//	cartback dev                   run everything locally: Temporal, its Web UI, worker, server, sandbox
//	cartback reply <phone> <text>  answer as a shopper in the running dev stack's sandbox
//	cartback worker                run the Temporal worker (the flows and their WhatsApp sends)
//	cartback server                run the HTTP server (storefront API and WhatsApp webhook)
//	cartback start <cart.json>     start a cart's flow, as the storefront would ("-" reads stdin)
//	cartback state <cart_id>       print a cart's flow
//
// `cartback <command> --help` prints a command's usage. main only wires: every subcommand returns
// an error, and the process exits once, here.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sirupsen/logrus"
)

func main() { os.Exit(runProcess(os.Args[1:])) }

// runProcess runs a command as the process, until SIGINT or SIGTERM, and returns its exit status.
func runProcess(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, args, env{lookup: os.LookupEnv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
	stop()
	return exitCode(err, os.Stderr)
}

// exitCode reports err on stderr and returns the process's exit status: 0, 2 for a command line
// mistake (after the command's usage), 1 for any other failure.
func exitCode(err error, stderr io.Writer) int {
	var u *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &u):
		fmt.Fprintf(stderr, "cartback: %s\n\n%s", u.msg, u.usage)
		return 2
	}
	fmt.Fprintf(stderr, "cartback: %v\n", err)
	return 1
}

// env is what a command may touch of the process, so that tests can give their own.
type env struct {
	lookup func(string) (string, bool)
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// run dispatches a subcommand. ctx ends on SIGINT or SIGTERM: long-running commands then shut down
// gracefully.
func run(ctx context.Context, args []string, e env) error {
	if len(args) == 0 {
		return &usageError{msg: "no command", usage: mainUsage()}
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		return runHelp(e, rest)
	}
	c := lookupCommand(name)
	if c == nil {
		return &usageError{msg: fmt.Sprintf("unknown command %q", name), usage: mainUsage()}
	}
	log := logrus.New()
	log.SetOutput(e.stderr)
	log.SetFormatter(&logrus.JSONFormatter{})
	return c.invoke(ctx, e, log, rest)
}

// runHelp prints cartback's usage, or with a command's name that command's.
func runHelp(e env, args []string) error {
	switch len(args) {
	case 0:
		_, err := io.WriteString(e.stdout, mainUsage())
		return err
	case 1:
		if c := lookupCommand(args[0]); c != nil {
			_, err := io.WriteString(e.stdout, c.usage())
			return err
		}
		return &usageError{msg: fmt.Sprintf("unknown command %q", args[0]), usage: mainUsage()}
	}
	return &usageError{msg: "help takes at most one command", usage: mainUsage()}
}
