// Command cartback runs cartback's parts, each configured from the environment (see the README's
// table):
//
//	cartback dev               run everything locally: Temporal, its Web UI, worker, server, sandbox
//	cartback reply <phone> <text>  answer as a shopper in the running dev stack's sandbox
//	cartback worker            run the Temporal worker (the flows and their WhatsApp sends)
//	cartback server            run the HTTP server (storefront API and WhatsApp webhook)
//	cartback start <cart.json> start a cart's flow, as the storefront would ("-" reads stdin)
//	cartback state <cart_id>   print a cart's flow
//
// main only wires: every subcommand returns an error, and the process exits once, here.
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

const usage = `usage: cartback <command> [arguments]

commands:
  dev                run everything locally: Temporal and its Web UI, the worker,
                     the HTTP server and a WhatsApp sandbox
  reply <phone> <text>
                     answer as the shopper in the running dev stack's sandbox
  worker             run the Temporal worker (flows and WhatsApp sends)
  server             run the HTTP server (storefront API and WhatsApp webhook)
  start <cart.json>  start a cart's flow ("-" reads the cart from stdin)
  state <cart_id>    print a cart's flow
`

// errUsage is a command line mistake: the usage is printed, and the exit status is 2.
var errUsage = errors.New("bad usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], env{lookup: os.LookupEnv, stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
	stop()
	switch {
	case errors.Is(err, errUsage):
		fmt.Fprintf(os.Stderr, "cartback: %v\n\n%s", err, usage)
		os.Exit(2)
	case err != nil:
		fmt.Fprintf(os.Stderr, "cartback: %v\n", err)
		os.Exit(1)
	}
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
		return fmt.Errorf("%w: no command", errUsage)
	}
	log := logrus.New()
	log.SetOutput(e.stderr)
	log.SetFormatter(&logrus.JSONFormatter{})

	cmd, rest := args[0], args[1:]
	switch cmd {
	case "worker":
		return runWorker(ctx, e, log, rest)
	case "server":
		return runServer(ctx, e, log, rest)
	case "start":
		return runStart(ctx, e, log, rest)
	case "state":
		return runState(ctx, e, log, rest)
	case "dev":
		return runDev(ctx, e, log, rest)
	case "reply":
		return runReply(ctx, e, rest)
	case "help", "-h", "--help":
		_, err := io.WriteString(e.stdout, usage)
		return err
	}
	return fmt.Errorf("%w: unknown command %q", errUsage, cmd)
}
