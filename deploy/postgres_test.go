// Package deploy_test runs docker-compose.yml's production shape without Docker: the schema
// commands of its temporal-schema service through the real temporal-sql-tool, a Temporal server
// configured the way the temporalio/server image configures itself from the temporal service's
// environment, the namespace as temporal-namespace sets it up, and one real cart flow, all on a
// real PostgreSQL. config/compose_test.go checks the file's form; this test checks that it works.
package deploy_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/primitives"
	postgresschema "go.temporal.io/server/schema/postgresql/v12"
	"go.temporal.io/server/temporal"
	sqltool "go.temporal.io/server/tools/sql"
	"google.golang.org/protobuf/types/known/durationpb"
	"gopkg.in/yaml.v3"

	"github.com/cartback/cartback/activities"
	"github.com/cartback/cartback/internal/testpostgres"
	"github.com/cartback/cartback/starter"
	"github.com/cartback/cartback/store"
	"github.com/cartback/cartback/whatsapp"
	"github.com/cartback/cartback/whatsapp/fakegraph"
	"github.com/cartback/cartback/worker"
	"github.com/cartback/cartback/workflows"
)

const composePath = "../docker-compose.yml"

// idKey is the workflow ID key of the test's worker and starters.
var idKey = []byte("deploy test id key, 32 bytes....")

// sqlToolChild marks a run of this test binary as temporal-sql-tool (see TestMain).
const sqlToolChild = "CARTBACK_TEST_AS_TEMPORAL_SQL_TOOL"

// TestMain lets the test binary be temporal-sql-tool: sql.RunTool is the admin-tools image's tool,
// but it calls os.Exit(1) on any failure, which would end the test binary with no report. Each
// schema command therefore runs RunTool in a child process, whose exit status the test reads.
func TestMain(m *testing.M) {
	if os.Getenv(sqlToolChild) == "1" {
		// os.Args[1] is "temporal-sql-tool", the program name RunTool expects first.
		if err := sqltool.RunTool(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestComposeOnPostgreSQL: the compose file's schema commands set up (twice: they run at every
// `up`) databases on which a Temporal server configured from the file's environment runs a cart
// flow to its coupon, found afterwards by cart id through PostgreSQL visibility.
func TestComposeOnPostgreSQL(t *testing.T) {
	began := time.Now()
	pg := testpostgres.Find(t, "run the compose file's production shape on one")
	f := readCompose(t)
	// Two fresh databases, which the schema script creates; dropped when the test ends.
	dbs := databases{main: pg.FreshName(t), visibility: pg.FreshName(t)}

	schemaBegan := time.Now()
	for round := 1; round <= 2; round++ { // the second run must change nothing and fail at nothing
		roundBegan := time.Now()
		runSchemaScript(t, pg, f, dbs)
		checkSchemaVersions(t, pg, dbs, round)
		t.Logf("schema script, run %d: %v", round, time.Since(roundBegan).Round(time.Millisecond))
	}
	t.Logf("schema set up twice in %v", time.Since(schemaBegan).Round(time.Millisecond))

	serverBegan := time.Now()
	frontend := startTemporal(t, pg, f, dbs)
	c, namespace := setUpNamespace(t, f, frontend)
	t.Logf("server started and namespace %q set up in %v", namespace, time.Since(serverBegan).Round(time.Millisecond))

	flowBegan := time.Now()
	// cartback's own store in a database of its own beside Temporal's, as docker-compose has it.
	consent, err := store.Open(t.Context(), pg.URL(pg.CreateDatabase(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { consent.Close() })
	runCartFlow(t, c, namespace, consent)
	t.Logf("cart flow (start, reply, coupon, outcome, visibility) in %v", time.Since(flowBegan).Round(time.Millisecond))
	runStorefrontLoad(t, frontend, namespace, consent)
	t.Logf("whole test: %v", time.Since(began).Round(time.Millisecond))
}

// sqlConfig is the connection the server and the tool make to database.
func sqlConfig(pg testpostgres.Server, database string) *config.SQL {
	return &config.SQL{
		PluginName:   "postgres12",
		ConnectAddr:  pg.Addr(),
		User:         pg.User,
		DatabaseName: database,
	}
}

// composeFile is the part of docker-compose.yml this test runs.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
}

type composeService struct {
	Command     []string           `yaml:"command"`
	Environment map[string]*string `yaml:"environment"`
	Volumes     []string           `yaml:"volumes"`
}

func readCompose(t *testing.T) composeFile {
	t.Helper()
	raw, err := os.ReadFile(composePath)
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	for _, name := range []string{"temporal-schema", "temporal", "temporal-namespace"} {
		if _, ok := f.Services[name]; !ok {
			t.Fatalf("docker-compose.yml has no %s service", name)
		}
	}
	return f
}

var interpolation = regexp.MustCompile(`^\$\{([A-Za-z0-9_]+)(?::?([-?])([^}]*))?\}$`)

// environment is a service's environment as compose gives it with an empty .env: defaults
// applied, and the values in override (what points at this machine instead of the compose
// network) replacing the file's. A required variable left without an override fails the test.
func environment(t *testing.T, f composeFile, service string, override map[string]string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for key, value := range f.Services[service].Environment {
		if v, ok := override[key]; ok {
			env[key] = v
			continue
		}
		if value == nil {
			continue // passed through from .env: unset here
		}
		v := *value
		if m := interpolation.FindStringSubmatch(v); m != nil {
			if m[2] != "-" {
				t.Fatalf("%s: %s=%s has no default and the test does not override it", service, key, v)
			}
			v = m[3]
		} else if strings.Contains(v, "$") {
			t.Fatalf("%s: %s=%s: the test does not interpolate this", service, key, v)
		}
		env[key] = v
	}
	return env
}

// databases are the test's two databases, standing for the compose file's temporal and
// temporal_visibility.
type databases struct {
	main, visibility string
}

// composeSchemaDir is where the admin-tools image keeps the server's schema directory.
const composeSchemaDir = "/etc/temporal/schema"

// runSchemaScript runs the temporal-schema service's script line by line: each temporal-sql-tool
// command with the service's environment, its database names replaced by the test's and the
// image's schema directory by the one of the server module this repository builds against.
func runSchemaScript(t *testing.T, pg testpostgres.Server, f composeFile, dbs databases) {
	t.Helper()
	svc := f.Services["temporal-schema"]
	if len(svc.Command) != 3 || svc.Command[0] != "sh" || svc.Command[1] != "-euc" {
		t.Fatalf("temporal-schema runs %q: want sh -euc and a script, so that a failed step fails the service", svc.Command)
	}
	env := environment(t, f, "temporal-schema", map[string]string{
		"SQL_HOST":     pg.Host,
		"SQL_PORT":     strconv.Itoa(pg.Port),
		"SQL_USER":     pg.User,
		"SQL_PASSWORD": "",
	})
	schemaDir := filepath.Join(serverModuleDir(t), "schema")
	names := map[string]string{"temporal": dbs.main, "temporal_visibility": dbs.visibility}

	ran := 0
	for line := range strings.Lines(svc.Command[2]) {
		line = strings.TrimSpace(line)
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0 || fields[0] == "echo":
			continue
		case fields[0] != "temporal-sql-tool":
			t.Fatalf("temporal-schema runs %q, which this test does not know how to run", line)
		case strings.ContainsAny(line, `"'$\`+"`"):
			t.Fatalf("temporal-schema: %q quotes or expands: split it like sh before running it here", line)
		}
		args := fields
		for i := 1; i < len(args)-1; i++ {
			switch args[i] {
			case "--db", "--database":
				name, ok := names[args[i+1]]
				if !ok {
					t.Fatalf("temporal-schema: %q names database %s, the server uses temporal and temporal_visibility", line, args[i+1])
				}
				args[i+1] = name
			case "-d", "--schema-dir":
				rel, ok := strings.CutPrefix(args[i+1], composeSchemaDir+"/")
				if !ok {
					t.Fatalf("temporal-schema: %q reads schemas outside the image's %s", line, composeSchemaDir)
				}
				args[i+1] = filepath.Join(schemaDir, filepath.FromSlash(rel))
			}
		}
		runSQLTool(t, env, args)
		ran++
	}
	if ran == 0 {
		t.Fatal("temporal-schema runs no temporal-sql-tool command")
	}
}

// runSQLTool runs one temporal-sql-tool command in a child process (see TestMain).
func runSQLTool(t *testing.T, env map[string]string, args []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), sqlToolChild+"=1")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// serverModuleDir is go.temporal.io/server's directory in the module cache: its schema directory is
// what the admin-tools image of the same version holds in /etc/temporal/schema.
func serverModuleDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "go.temporal.io/server").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Fatalf("finding go.temporal.io/server in the module cache (go list -m): %v", err)
	}
	return dir
}

// checkSchemaVersions reads the versions the script left: the latest of the server module's
// schema, in both databases.
func checkSchemaVersions(t *testing.T, pg testpostgres.Server, dbs databases, round int) {
	t.Helper()
	for db, want := range map[string]string{dbs.main: postgresschema.Version, dbs.visibility: postgresschema.VisibilityVersion} {
		conn, err := sqltool.NewConnection(sqlConfig(pg, db), log.NewNoopLogger())
		if err != nil {
			t.Fatal(err)
		}
		got, err := conn.ReadSchemaVersion()
		conn.Close()
		if err != nil || got != want {
			t.Fatalf("run %d of the schema script left %s at schema version %q (%v), want %s", round, db, got, err, want)
		}
	}
}

// startTemporal starts the four Temporal services in this process, configured as the
// temporalio/server image configures itself: its embedded config template (what `temporal-server
// start` reads without flags) rendered with the temporal service's environment. Only what
// points at this machine differs: the PostgreSQL address and user, the test's databases,
// 127.0.0.1 and free ports, and the dynamic config file at the path the compose volume mounts.
// The services find each other through static hosts, as in devserver: no ringpop in one process.
func startTemporal(t *testing.T, pg testpostgres.Server, f composeFile, dbs databases) string {
	t.Helper()
	const ip = "127.0.0.1"
	override := map[string]string{
		"POSTGRES_SEEDS":           pg.Host,
		"DB_PORT":                  strconv.Itoa(pg.Port),
		"POSTGRES_USER":            pg.User,
		"POSTGRES_PWD":             "",
		"BIND_ON_IP":               ip,
		"DYNAMIC_CONFIG_FILE_PATH": hostPath(t, f, "temporal", *f.Services["temporal"].Environment["DYNAMIC_CONFIG_FILE_PATH"]),
	}
	for key, value := range environment(t, f, "temporal", override) {
		t.Setenv(key, value) // the template reads the process environment
	}
	for _, key := range []string{"DBNAME", "VISIBILITY_DBNAME"} {
		t.Setenv(key, "") // empty: the image's default, which the compose file relies on
	}
	// The image's fixed ports, which the compose file keeps, are free ones here.
	ports := map[string]string{}
	for _, key := range []string{"FRONTEND_GRPC_PORT", "FRONTEND_HTTP_PORT", "HISTORY_GRPC_PORT", "MATCHING_GRPC_PORT", "WORKER_GRPC_PORT"} {
		ports[key] = strconv.Itoa(freePort(t, ip))
		t.Setenv(key, ports[key])
	}

	conf, err := config.Load(config.WithEmbedded())
	if err != nil {
		t.Fatalf("rendering the server image's config template with the temporal service's environment: %v", err)
	}
	// The image's defaults must be the databases the schema script set up.
	for store, want := range map[string]string{conf.Persistence.DefaultStore: "temporal", conf.Persistence.VisibilityStore: "temporal_visibility"} {
		sql := conf.Persistence.DataStores[store].SQL
		if sql == nil || sql.PluginName != "postgres12" || sql.DatabaseName != want {
			t.Fatalf("the server's %s store is %+v, want postgres12 on %s, the database temporal-schema sets up", store, sql, want)
		}
	}
	conf.Persistence.DataStores[conf.Persistence.DefaultStore].SQL.DatabaseName = dbs.main
	conf.Persistence.DataStores[conf.Persistence.VisibilityStore].SQL.DatabaseName = dbs.visibility
	// The image logs at info to stdout; here warnings go to a file, shown if the test fails.
	conf.Log.Level = "warn"
	conf.Log.Stdout = false
	conf.Log.OutputFile = filepath.Join(t.TempDir(), "temporal.log")
	t.Cleanup(func() { showLogOnFailure(t, conf.Log.OutputFile) }) // runs after the server stopped

	hosts := map[primitives.ServiceName]static.Hosts{}
	for _, name := range temporal.DefaultServices {
		rpc := conf.Services[name].RPC
		hosts[primitives.ServiceName(name)] = static.SingleLocalHost(net.JoinHostPort(rpc.BindOnIP, strconv.Itoa(rpc.GRPCPort)))
	}
	// As cmd/server's start: authorizer and claim mapper from the config (none: no-op ones).
	authorizer, err := authorization.GetAuthorizerFromConfig(&conf.Global.Authorization)
	if err != nil {
		t.Fatal(err)
	}
	logger := log.NewZapLogger(log.BuildZapLogger(conf.Log))
	claimMapper, err := authorization.GetClaimMapperFromConfig(&conf.Global.Authorization, logger)
	if err != nil {
		t.Fatal(err)
	}
	server, err := temporal.NewServer(
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithConfig(conf),
		temporal.WithLogger(logger),
		temporal.WithStaticHosts(hosts),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
	)
	if err != nil {
		t.Fatalf("configuring the Temporal server: %v", err)
	}
	if err := server.Start(); err != nil {
		t.Fatalf("starting the Temporal server on PostgreSQL: %v", err)
	}
	t.Cleanup(func() {
		if err := server.Stop(); err != nil {
			t.Errorf("stopping the Temporal server: %v", err)
		}
	})
	return net.JoinHostPort(ip, ports["FRONTEND_GRPC_PORT"])
}

// showLogOnFailure shows the end of the server's log when the test failed, one line per entry cut
// short: the server's errors carry long stack traces.
func showLogOnFailure(t *testing.T, path string) {
	if !t.Failed() {
		return
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Logf("the server's log: %v", err)
		return
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	lines = lines[max(0, len(lines)-40):]
	for i, l := range lines {
		if len(l) > 400 {
			lines[i] = l[:400] + "..."
		}
	}
	t.Logf("the end of the server's log:\n%s", strings.Join(lines, "\n"))
}

// hostPath is where a path inside service's container comes from on the host, by its volumes.
func hostPath(t *testing.T, f composeFile, service, containerPath string) string {
	t.Helper()
	for _, v := range f.Services[service].Volumes {
		src, dst, _ := strings.Cut(strings.TrimSuffix(v, ":ro"), ":")
		if rel, ok := strings.CutPrefix(containerPath, dst+"/"); ok && strings.HasPrefix(src, ".") {
			p := filepath.Join("..", src, filepath.FromSlash(rel))
			if _, err := os.Stat(p); err != nil {
				t.Fatalf("%s reads %s, mounted from %s: %v", service, containerPath, p, err)
			}
			abs, err := filepath.Abs(p)
			if err != nil {
				t.Fatal(err)
			}
			return abs
		}
	}
	t.Fatalf("%s reads %s, which none of its volumes mounts", service, containerPath)
	return ""
}

func freePort(t *testing.T, ip string) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// setUpNamespace does what the temporal-namespace service does, through the APIs its `temporal
// operator` commands call: wait for the cluster, create the namespace with the file's default
// retention, set the retention again, add the search attributes, each retried as its script does.
// It returns a client of that namespace once the frontend accepts queries on the attributes.
func setUpNamespace(t *testing.T, f composeFile, frontend string) (client.Client, string) {
	t.Helper()
	env := environment(t, f, "temporal-namespace", nil)
	namespace := env["TEMPORAL_NAMESPACE"]
	retention, err := time.ParseDuration(env["CARTBACK_RETENTION"])
	if err != nil || namespace == "" {
		t.Fatalf("temporal-namespace: TEMPORAL_NAMESPACE=%q CARTBACK_RETENTION=%q (%v)", namespace, env["CARTBACK_RETENTION"], err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	logs := logrus.New()
	logs.SetLevel(logrus.WarnLevel)
	var c client.Client
	retry(t, ctx, "temporal operator cluster health", func() error { // Dial checks the frontend's health
		var err error
		c, err = client.DialContext(ctx, client.Options{HostPort: frontend, Namespace: namespace, Logger: worker.NewLogger(logs)})
		return err
	})
	t.Cleanup(c.Close)
	ws := c.WorkflowService()

	_, err = ws.RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: namespace, WorkflowExecutionRetentionPeriod: durationpb.New(retention),
	})
	if err != nil && !errors.As(err, new(*serviceerror.NamespaceAlreadyExists)) {
		t.Fatalf("temporal operator namespace create: %v", err)
	}
	retry(t, ctx, "temporal operator namespace update", func() error {
		_, err := ws.UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{
			Namespace: namespace, Config: &namespacepb.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(retention)},
		})
		return err
	})
	retry(t, ctx, "temporal operator search-attribute create", func() error {
		return worker.EnsureSearchAttributes(ctx, c, namespace)
	})

	ns, err := ws.DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	if err != nil {
		t.Fatal(err)
	}
	if got := ns.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); got != retention {
		t.Fatalf("namespace %s keeps runs %v, want %v", namespace, got, retention)
	}
	// Each service learns of namespace changes at its next namespace cache refresh (10 s by
	// default; the compose file's dynamic config keeps it): until the frontend's, a start that
	// sets CartId is refused.
	query := fmt.Sprintf("%s = 'probe' AND %s = 'probe'", workflows.CartIDAttribute.GetName(), workflows.OutcomeAttribute.GetName())
	retry(t, ctx, "a visibility query on the search attributes", func() error {
		_, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: namespace, Query: query})
		return err
	})
	return c, namespace
}

// retry calls try until it succeeds, every half second, like the temporal-namespace script's retry.
func retry(t *testing.T, ctx context.Context, what string, try func() error) {
	t.Helper()
	for {
		err := try()
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: %v", what, err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// runCartFlow runs one conversation the way production does: the worker's activities send to a
// fake of Meta's Graph API, the starter starts the flow from a posted cart and delivers the reply.
func runCartFlow(t *testing.T, c client.Client, namespace string, consent *store.Store) {
	t.Helper()
	const (
		phoneNumberID = "106540352242922"
		token         = "graph-token"
		cartID        = "cart-postgres-1"
		coupon        = "SAVE10"
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// The server answers on PostgreSQL: persistence and visibility both.
	info, err := c.WorkflowService().GetClusterInfo(ctx, &workflowservice.GetClusterInfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if info.GetPersistenceStore() != "postgres12" || info.GetVisibilityStore() != "postgres12" {
		t.Fatalf("the server stores in %q with visibility in %q, want postgres12 for both", info.GetPersistenceStore(), info.GetVisibilityStore())
	}

	graph, graphSrv := fakegraph.NewTestServer(fakegraph.Options{PhoneNumberID: phoneNumberID, Token: token})
	t.Cleanup(graphSrv.Close)
	wa, err := whatsapp.NewClient(whatsapp.Config{BaseURL: graphSrv.URL, Version: "v23.0", PhoneNumberID: phoneNumberID, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	w := worker.New(c, &activities.Activities{WhatsApp: wa, Consent: consent, IDKey: idKey, TemplateName: "cart_check_in", TemplateLanguage: "en_US"}, 60)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)

	st, err := starter.New(c, starter.Options{
		IDKey:     idKey,
		Namespace: namespace,
		Settings:  workflows.Settings{ReplyWindow: time.Hour, CouponCode: coupon},
		Consent:   consent,
	})
	if err != nil {
		t.Fatal(err)
	}
	cart, err := starter.DecodeCart(fmt.Appendf(nil, `{
		"cart_id": %q,
		"customer": {"phone": "+52 55 3456 7890", "name": "Ana Lima", "opt_in": {"at": %q, "source": "checkout"}},
		"items": [{"name": "Rain jacket", "quantity": 1, "unit_price": "49.90"}],
		"currency": "EUR", "total": "49.90", "cart_url": "https://shop.example.com/c/1"
	}`, cartID, time.Now().Add(-time.Hour).Format(time.RFC3339)))
	if err != nil {
		t.Fatal(err)
	}
	started, err := st.Start(ctx, cart)
	if err != nil {
		t.Fatalf("starting the flow: %v", err)
	}

	msgs, err := graph.Wait(ctx, 1)
	if err != nil || msgs[0].Template == nil {
		t.Fatalf("the template was not sent: %+v (%v)", msgs, err)
	}
	// The reply is for the flow waiting for one: wait until it recorded the template's send.
	retry(t, ctx, "the flow recording the template", func() error {
		s, err := st.State(ctx, cartID)
		if err == nil && s.State.TemplateMessageID == "" {
			err = errors.New("not yet")
		}
		return err
	})
	if msgs[0].To != "525534567890" {
		t.Fatalf("the template went to %s, want the cart's number, 525534567890", msgs[0].To)
	}
	// WhatsApp reports a Mexican mobile as 521… (its E.164 is +52…): the reply comes from that form.
	if err := st.Reply(ctx, "5215534567890", workflows.Reply{MessageID: "wamid.reply-2", Kind: "text", Text: "2"}); err != nil {
		t.Fatalf("delivering the reply: %v", err)
	}
	msgs, err = graph.Wait(ctx, 2)
	if err != nil || msgs[1].Text == nil || !strings.Contains(msgs[1].Text.Body, coupon) {
		t.Fatalf("the coupon was not sent: %+v (%v)", msgs, err)
	}

	var res workflows.Result
	if err := c.GetWorkflow(ctx, started.WorkflowID, started.RunID).Get(ctx, &res); err != nil {
		t.Fatal(err)
	}
	if res.Outcome != workflows.OutcomeCouponSent {
		t.Fatalf("outcome %+v, want %s", res, workflows.OutcomeCouponSent)
	}

	// Found by cart id and outcome through visibility, as an operator does in the Web UI.
	query := fmt.Sprintf("%s = %q AND %s = %q", workflows.CartIDAttribute.GetName(), cartID, workflows.OutcomeAttribute.GetName(), res.Outcome)
	retry(t, ctx, "finding the run through visibility", func() error {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: namespace, Query: query})
		switch {
		case err != nil:
			return err
		case len(resp.GetExecutions()) != 1 || resp.GetExecutions()[0].GetExecution().GetRunId() != started.RunID:
			return fmt.Errorf("%q found %d runs, want run %s", query, len(resp.GetExecutions()), started.RunID)
		}
		return nil
	})
	// The worker and the starter share the store: the template the worker's flow sent is counted,
	// and a STOP the edge records refuses the customer's next cart.
	if last, ok, err := consent.LastTemplateAccepted(ctx, workflows.CustomerKey(idKey, "+525534567890")); err != nil || !ok || last.IsZero() {
		t.Fatalf("the template in the store: %v %v %v", last, ok, err)
	}
	if err := st.Message(ctx, msgs[0].To, workflows.Reply{MessageID: "wamid.stop", Kind: "text", Text: "STOP"}); err != nil {
		t.Fatalf("the STOP: %v", err)
	}
	cart.CartID = cartID + "-next"
	var refused *starter.RefusedError
	if _, err := st.Start(ctx, cart); !errors.As(err, &refused) || refused.Code != starter.RefusedSuppressed {
		t.Fatalf("the next cart after STOP: %v, want refused as suppressed", err)
	}
}
