package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/cartback/cartback/config"
)

// runner runs a command with its arguments, once its flags are parsed.
type runner func(ctx context.Context, e env, log *logrus.Logger, args []string) error

// command is one subcommand: its usage and what runs it.
type command struct {
	name    string
	args    string // the arguments, as the usage line writes them
	summary string // one line, for cartback's own usage
	about   string // what it does and how its arguments work, for its usage
	// minArgs and maxArgs bound the number of arguments left after the flags; maxArgs < 0: no bound.
	minArgs, maxArgs int
	// setup defines the command's flags on fs and returns what runs it with their values.
	setup func(fs *flag.FlagSet) runner
}

// noFlags is setup for a command without flags.
func noFlags(r runner) func(*flag.FlagSet) runner {
	return func(*flag.FlagSet) runner { return r }
}

// devDefaults is what the commands that talk to a running `cartback dev` say about their settings.
const devDefaults = `Against a running ` + "`cartback dev`" + ` nothing needs setting: without CARTBACK_ID_KEY it uses the
key the dev stack keeps in CARTBACK_DATA_DIR (its id_key file), and without TEMPORAL_ADDRESS (or a
TEMPORAL_CONFIG_FILE profile's address) the dev stack's Temporal, 127.0.0.1:CARTBACK_TEMPORAL_PORT.`

// commands is the dispatch table, in the order cartback's usage lists them. Every command here
// has a --help (main_test.go checks them all from this table).
var commands = []*command{
	{
		name: config.CommandDev, summary: "run everything locally: Temporal and its Web UI, the worker, the HTTP server and a WhatsApp sandbox",
		about: `Runs everything in one process: a Temporal server and its Web UI (their state in a SQLite file in
CARTBACK_DATA_DIR), the worker, the HTTP server and a WhatsApp sandbox, and prints where each is.
Ctrl-C stops it all; the flows that wait resume at the next start.

With TEMPORAL_ADDRESS set it uses that cluster instead of its own Temporal; with the four WHATSAPP_*
credentials set it talks to Meta instead of the sandbox. The API key and the workflow ID key are
generated on the first start and kept in CARTBACK_DATA_DIR (api_key, id_key), where start, state
and reply find the ID key.`,
		setup: noFlags(runDev),
	},
	{
		name: config.CommandReply, args: "[-anyway] <phone> <text>...", minArgs: 2, maxArgs: -1,
		summary: "answer as the shopper in the running dev stack's sandbox",
		about: `Answers as the shopper at <phone> in the sandbox of the running ` + "`cartback dev`" + `: the sandbox posts
the message to cartback's webhook, signed, as Meta would. <phone> is international,
+<country code><number> (+525512345678); the words of <text> are joined by spaces (a text such as
-h goes after --).

It first asks Temporal whether a flow waits for that shopper. If one does, it sends the reply and
says which cart's flow got it; if none does, it says "no conversation is waiting for <phone>",
sends nothing and exits 1.

` + devDefaults + `
The sandbox is the one at CARTBACK_HTTP_ADDR.

Exit status: 0 the reply reached a flow (or was sent with -anyway), 1 no flow waits for it or the
dev stack cannot be reached, 2 a wrong use.`,
		setup: func(fs *flag.FlagSet) runner {
			anyway := fs.Bool("anyway", false, "send the reply even when no flow waits for it, as a shopper answering late\nwould: the webhook acknowledges it and no flow takes it")
			return func(ctx context.Context, e env, log *logrus.Logger, args []string) error {
				return runReply(ctx, e, log, args, *anyway)
			}
		},
	},
	{
		name: config.CommandWorker, summary: "run the Temporal worker (flows and WhatsApp sends)",
		about: `Runs the Temporal worker until SIGINT or SIGTERM: the cart recovery flows and their WhatsApp
sends, capped at CARTBACK_SENDS_PER_SECOND for the whole deployment. It registers cartback's search
attributes where they are missing. Run as many copies as needed.`,
		setup: noFlags(runWorker),
	},
	{
		name: config.CommandServer, summary: "run the HTTP server (storefront API and WhatsApp webhook)",
		about: `Serves the storefront's HTTP API and Meta's webhook on CARTBACK_HTTP_ADDR until SIGINT or SIGTERM,
then lets the requests in flight finish. It starts while Temporal is down: /readyz answers 503
until Temporal answers.`,
		setup: noFlags(runServer),
	},
	{
		name: config.CommandStart, args: "<cart.json>", minArgs: 1, maxArgs: 1,
		summary: `start a cart's flow ("-" reads the cart from stdin)`,
		about: `Starts a cart's flow exactly as POST /v1/carts would, and prints its cart_id, workflow_id, run_id
and status (started, or already_exists). "-" reads the cart from stdin. An invalid cart is refused,
field by field, before anything connects.

` + devDefaults,
		setup: noFlags(runStart),
	},
	{
		name: config.CommandState, args: "<cart_id>", minArgs: 1, maxArgs: 1,
		summary: "print a cart's flow",
		about: `Prints a cart's flow as JSON: its workflow and run, Temporal's status, where the flow is, the
reply and the outcome, also after the flow ended. Exits 1 when no flow has that cart id.

` + devDefaults,
		setup: noFlags(runState),
	},
}

func lookupCommand(name string) *command {
	i := slices.IndexFunc(commands, func(c *command) bool { return c.name == name })
	if i < 0 {
		return nil
	}
	return commands[i]
}

// usageError is a command line mistake: main prints msg and the usage, and exits 2.
type usageError struct {
	msg   string
	usage string
}

func (u *usageError) Error() string { return u.msg }

// argError is a runner's word that its arguments are wrong, which they cannot tell before they
// run (their values): invoke prints the command's usage with it, as for a wrong number of them.
type argError struct{ err error }

func (a *argError) Error() string { return a.err.Error() }

// invoke parses args as c's flags and arguments and runs c. A --help or -h anywhere before a "--"
// prints c's usage on stdout instead: the flag package alone would see it only before the first
// argument.
func (c *command) invoke(ctx context.Context, e env, log *logrus.Logger, args []string) error {
	fs := c.flagSet()
	r := c.setup(fs)
	if wantsHelp(args) {
		_, err := io.WriteString(e.stdout, c.render(fs))
		return err
	}
	if err := fs.Parse(args); err != nil {
		return &usageError{msg: c.name + ": " + err.Error(), usage: c.render(fs)}
	}
	if n := fs.NArg(); n < c.minArgs || c.maxArgs >= 0 && n > c.maxArgs {
		return &usageError{msg: fmt.Sprintf("%s: %s, not %d", c.name, c.wantedArgs(), n), usage: c.render(fs)}
	}
	err := r(ctx, e, log, fs.Args())
	var bad *argError
	if errors.As(err, &bad) {
		return &usageError{msg: c.name + ": " + bad.Error(), usage: c.render(fs)}
	}
	return err
}

func (c *command) flagSet() *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned, and the usage printed once, by exitCode
	fs.Usage = func() {}
	return fs
}

func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "--h", "-help", "--help":
			return true
		}
	}
	return false
}

func (c *command) wantedArgs() string {
	switch {
	case c.maxArgs == 0:
		return "it takes no arguments"
	case c.minArgs == c.maxArgs:
		return fmt.Sprintf("it takes %d argument%s", c.minArgs, plural(c.minArgs))
	case c.maxArgs < 0:
		return fmt.Sprintf("it takes at least %d arguments", c.minArgs)
	}
	return fmt.Sprintf("it takes %d to %d arguments", c.minArgs, c.maxArgs)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// usage is c's usage text, as --help prints it.
func (c *command) usage() string {
	fs := c.flagSet()
	c.setup(fs)
	return c.render(fs)
}

func (c *command) render(fs *flag.FlagSet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: cartback %s", c.name)
	if c.args != "" {
		fmt.Fprintf(&b, " %s", c.args)
	}
	fmt.Fprintf(&b, "\n\n%s\n", c.about)
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		b.WriteString("\nflags:\n")
		fs.SetOutput(&b)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	b.WriteString(environment(c.name))
	return b.String()
}

// environment lists the variables command reads, from config's table: the README's table says the
// same, so that a variable added there shows up in every command's usage that reads it.
func environment(command string) string {
	var b strings.Builder
	b.WriteString("\nenvironment (the README's Configuration table):\n")
	otherTemporal := false
	for _, v := range config.Variables() {
		if !slices.Contains(v.ReadBy, command) {
			continue
		}
		what := v.Description
		if v.Secret {
			what = "(secret) " + what
		}
		switch {
		case slices.Contains(v.RequiredBy, command):
			what += " (required)"
		case v.Default != "" && !strings.Contains(what, "`"+v.Default+"`"): // some descriptions say it
			what += " (default `" + v.Default + "`)"
		}
		name := v.Name
		if strings.HasPrefix(name, "TEMPORAL_") && name != "TEMPORAL_ADDRESS" && name != "TEMPORAL_NAMESPACE" {
			if otherTemporal {
				continue
			}
			otherTemporal = true
			name, what = "TEMPORAL_*", "the Temporal client's other settings: API key, TLS, a profiles file (the Temporal SDK's own variables)"
		}
		writeWrapped(&b, fmt.Sprintf("  %-30s", name), what)
	}
	return b.String()
}

// usageWidth is where usage lines wrap.
const usageWidth = 100

// writeWrapped writes text after head, wrapped at usageWidth and indented as far as head.
func writeWrapped(b *strings.Builder, head, text string) {
	indent := strings.Repeat(" ", len(head))
	line := head
	for i, word := range strings.Fields(text) {
		if i > 0 && len(line)+1+len(word) > usageWidth {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
			line = indent
		} else if i > 0 {
			line += " "
		}
		line += word
	}
	b.WriteString(line + "\n")
}

// mainUsage is cartback's own usage: the commands of the table.
func mainUsage() string {
	var b strings.Builder
	b.WriteString("usage: cartback <command> [arguments]\n\ncommands:\n")
	for _, c := range commands {
		head := c.name
		if c.args != "" {
			head += " " + c.args
		}
		if len(head) > 18 {
			fmt.Fprintf(&b, "  %s\n", head)
			head = ""
		}
		writeWrapped(&b, fmt.Sprintf("  %-19s", head), c.summary)
	}
	b.WriteString("\n`cartback <command> --help` (or `cartback help <command>`) prints a command's usage.\n")
	return b.String()
}
