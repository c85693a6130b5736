// Package devserver runs a real Temporal server and its Web UI inside cartback's own process, so that
// `cartback dev` needs nothing installed but Go. The server keeps its state in a SQLite file under a
// data directory: flows waiting for a reply survive a restart. It links the whole Temporal server
// (about 200 MB of binary): production builds leave it out and dial a real cluster.
package devserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"
	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
	enumspb "go.temporal.io/api/enums/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/membership/static"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	sqliteschema "go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/cartback/cartback/worker"
	"github.com/cartback/cartback/workflows"
)

// Defaults, for the caller that reads the environment: in Options a zero port means "any free port".
const (
	DefaultDataDir      = ".cartback"
	DefaultNamespace    = "default"
	DefaultRetention    = 30 * 24 * time.Hour
	DefaultIP           = "127.0.0.1"
	DefaultFrontendPort = 7233
	DefaultUIPort       = 8233
	// NoUI as Options.UIPort starts no Web UI.
	NoUI = -1
)

// dbFile is the SQLite file's name in the data directory.
const dbFile = "temporal.db"

// clusterName names the one cluster; it is stored in the file, so it never changes.
const clusterName = "active"

// namespaceRefresh is how often each service rereads the namespaces from SQLite (it cannot watch
// them): a search attribute added through the API is only usable after that.
const namespaceRefresh = time.Second

// Options configure Start. The zero value is usable: every field has a default.
type Options struct {
	// DataDir holds the SQLite file (CARTBACK_DATA_DIR); created if missing. Default ./.cartback.
	DataDir string
	// Namespace is registered if missing. Default "default".
	Namespace string
	// Retention is how long a finished flow stays readable (CARTBACK_RETENTION). It is applied on
	// every start, as the SQLite namespace setup hard-codes 24 hours. Default 30 days.
	Retention time.Duration
	// IP is where the frontend and the UI listen. Default 127.0.0.1: the UI shows customers' data
	// without a login.
	IP string
	// FrontendPort is the gRPC port clients dial (CARTBACK_TEMPORAL_PORT); 0 picks a free one.
	FrontendPort int
	// UIPort is the Web UI's HTTP port (CARTBACK_UI_PORT); 0 picks a free one, NoUI starts none.
	UIPort int
	// CodecEndpoint is the remote codec the Web UI decodes payloads through, e.g.
	// http://127.0.0.1:8080/codec (cartback's uicodec endpoint): the UI then shows encrypted
	// payloads decrypted. Empty shows them as stored. The UI calls it from the browser, without
	// credentials: it is for an endpoint on loopback, as the UI is.
	CodecEndpoint string
	// Logger receives the server's warnings and errors; its info and debug lines only when the
	// logger is at debug level, as the server is chatty. Default: logrus's standard logger.
	Logger *logrus.Logger
}

// Server is a running Temporal server with, optionally, its Web UI.
type Server struct {
	temporal  temporal.Server
	ui        *uiserver.Server
	frontend  string
	uiAddress string
	namespace string
	quiet     *atomic.Bool // see serverLogger
	stopOnce  sync.Once
	stopErr   error
}

// Start starts the server and returns once it serves: the namespace exists with opts.Retention, our
// search attributes are registered, and the UI (if any) answers. ctx bounds that set-up only.
func Start(ctx context.Context, opts Options) (*Server, error) {
	opts.setDefaults()
	if opts.Retention < time.Hour { // the server's minimum, which the file's set-up would bypass
		return nil, fmt.Errorf("CARTBACK_RETENTION is %v: it must be at least 1h", opts.Retention)
	}
	// Check the ports first: the server fails obscurely on a taken port, and the UI server exits
	// the process (it calls Fatal).
	if err := pickPort(opts.IP, &opts.FrontendPort, "CARTBACK_TEMPORAL_PORT"); err != nil {
		return nil, err
	}
	if opts.UIPort != NoUI {
		if err := pickPort(opts.IP, &opts.UIPort, "CARTBACK_UI_PORT"); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(opts.DataDir, 0o700); err != nil { // customers' data: owner only
		return nil, fmt.Errorf("creating the data directory (CARTBACK_DATA_DIR): %w", err)
	}
	sqlConf, err := prepareDatabase(filepath.Join(opts.DataDir, dbFile), opts)
	if err != nil {
		return nil, err
	}
	conf, hosts, err := serverConfig(opts, sqlConf)
	if err != nil {
		return nil, err
	}
	quiet := &atomic.Bool{}
	quiet.Store(true)
	ts, err := temporal.NewServer(
		temporal.WithConfig(conf),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts), // one process: no ringpop gossip, no membership ports
		temporal.WithLogger(serverLogger{opts.Logger.WithField("component", "temporal"), quiet}),
		temporal.WithAuthorizer(authorization.NewNoopAuthorizer()),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return authorization.NewNoopClaimMapper() }),
		temporal.WithDynamicConfigClient(dynamicconfig.StaticClient{
			// The UI lists and counts runs on every page, and we find flows by cart id: the
			// default of 10 visibility requests a second throttles one person clicking around.
			dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
			dynamicconfig.NamespaceCacheRefreshInterval.Key():                namespaceRefresh,
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("configuring the embedded Temporal server: %w", err)
	}
	s := &Server{temporal: ts, frontend: conf.PublicClient.HostPort, namespace: opts.Namespace, quiet: quiet}
	if err := ts.Start(); err != nil {
		_ = ts.Stop()
		return nil, fmt.Errorf("starting the embedded Temporal server: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.setUpNamespace(ctx, opts); err != nil {
		_ = s.Stop()
		return nil, err
	}
	if opts.UIPort != NoUI {
		if err := s.startUI(ctx, opts); err != nil {
			_ = s.Stop()
			return nil, err
		}
	}
	quiet.Store(false)
	return s, nil
}

// FrontendAddress is the host:port of the frontend, for client.Options.HostPort.
func (s *Server) FrontendAddress() string { return s.frontend }

// UIAddress is the Web UI's URL, e.g. "http://127.0.0.1:8233", or "" when there is no UI.
func (s *Server) UIAddress() string { return s.uiAddress }

// Namespace is the namespace the server was started with.
func (s *Server) Namespace() string { return s.namespace }

// Stop stops the UI and the server. The data directory can then be opened by a later Start, in this
// process or another. Calling it again does nothing.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		s.quiet.Store(true)
		if s.ui != nil {
			s.ui.Stop()
		}
		s.stopErr = s.temporal.Stop()
	})
	return s.stopErr
}

func (o *Options) setDefaults() {
	if o.DataDir == "" {
		o.DataDir = DefaultDataDir
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.Retention == 0 {
		o.Retention = DefaultRetention
	}
	if o.IP == "" {
		o.IP = DefaultIP
	}
	if o.Logger == nil {
		o.Logger = logrus.StandardLogger()
	}
}

// pickPort replaces a zero port with a free one, and otherwise checks that the port is free, with an
// error that names the variable to change.
func pickPort(ip string, port *int, variable string) error {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(*port)))
	if err != nil {
		if *port == 0 {
			return fmt.Errorf("finding a free port on %s: %w", ip, err)
		}
		return fmt.Errorf("%s is %d, which is already in use (%w)", variable, *port, err)
	}
	*port = l.Addr().(*net.TCPAddr).Port
	return l.Close()
}

// prepareDatabase creates the schema in a new file and the namespace where it is missing, before the
// server starts: a namespace registered through the API would only be seen after the server's
// namespace cache refreshes.
func prepareDatabase(path string, opts Options) (*config.SQL, error) {
	conf := &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: path,
		ConnectAttributes: map[string]string{
			"mode": "rwc",
			// Measured: WAL with synchronous=normal starts about 3 times more flows a second than
			// the default rollback journal, and still survives a crash of the process.
			"journal_mode": "wal",
			"synchronous":  "normal",
		},
		// One connection, shared by every service: more gave thousands of SQLITE_BUSY errors.
		MaxConns:     1,
		MaxIdleConns: 1,
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := sqliteschema.SetupSchema(conf); err != nil {
			return nil, fmt.Errorf("creating the Temporal schema in %s: %w", path, err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("opening the Temporal database: %w", err)
	}
	// Our search attributes are given at creation as well, so that a new file needs no wait for
	// the namespace refresh (see setUpNamespace).
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, opts.Namespace, false, map[string]enumspb.IndexedValueType{
		workflows.CartIDAttribute.GetName():  enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		workflows.OutcomeAttribute.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	})
	if err != nil {
		return nil, fmt.Errorf("preparing namespace %q: %w", opts.Namespace, err)
	}
	ns.Detail.Config.Retention = durationpb.New(opts.Retention)
	if err := sqliteschema.CreateNamespaces(conf, ns); err != nil { // a no-op when it exists
		return nil, fmt.Errorf("registering namespace %q: %w", opts.Namespace, err)
	}
	return conf, nil
}

// serverConfig is the configuration of one host running the four services, the frontend on the
// asked port and the others on free ports of the same IP.
func serverConfig(opts Options, sqlConf *config.SQL) (*config.Config, map[primitives.ServiceName]static.Hosts, error) {
	frontend := net.JoinHostPort(opts.IP, strconv.Itoa(opts.FrontendPort))
	conf := &config.Config{}
	conf.Global.Membership.MaxJoinDuration = 30 * time.Second
	conf.Global.Membership.BroadcastAddress = opts.IP
	conf.Persistence.DefaultStore = "sqlite"
	conf.Persistence.VisibilityStore = "sqlite"
	conf.Persistence.NumHistoryShards = 1 // stored in the file: it can never change
	conf.Persistence.DataStores = map[string]config.DataStore{"sqlite": {SQL: sqlConf}}
	conf.ClusterMetadata = &cluster.Config{
		FailoverVersionIncrement: 10,
		MasterClusterName:        clusterName,
		CurrentClusterName:       clusterName,
		ClusterInformation: map[string]cluster.ClusterInformation{
			clusterName: {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontend},
		},
	}
	conf.DCRedirectionPolicy.Policy = "noop"
	conf.Archival.History.State = "disabled"
	conf.Archival.Visibility.State = "disabled"
	conf.NamespaceDefaults.Archival.History.State = "disabled"
	conf.NamespaceDefaults.Archival.Visibility.State = "disabled"
	// The server's own system workflows dial it through this address.
	conf.PublicClient.HostPort = frontend

	conf.Services = map[string]config.Service{}
	hosts := map[primitives.ServiceName]static.Hosts{}
	for _, name := range temporal.DefaultServices {
		port := 0
		if name == string(primitives.FrontendService) {
			port = opts.FrontendPort
		} else if err := pickPort(opts.IP, &port, ""); err != nil {
			return nil, nil, err
		}
		conf.Services[name] = config.Service{RPC: config.RPC{GRPCPort: port, BindOnIP: opts.IP}}
		hosts[primitives.ServiceName(name)] = static.SingleLocalHost(net.JoinHostPort(opts.IP, strconv.Itoa(port)))
	}
	return conf, hosts, nil
}

// setUpNamespace applies the retention and registers our search attributes, on every start: an
// existing file keeps what an older version or another setting put there.
func (s *Server) setUpNamespace(ctx context.Context, opts Options) error {
	c, err := client.DialContext(ctx, client.Options{
		HostPort:  s.frontend,
		Namespace: opts.Namespace,
		Logger:    worker.NewLogger(opts.Logger),
	})
	if err != nil {
		return fmt.Errorf("dialing the embedded Temporal server: %w", err)
	}
	defer c.Close()
	ns, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: opts.Namespace})
	if err != nil {
		return fmt.Errorf("describing namespace %q: %w", opts.Namespace, err)
	}
	if ns.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration() != opts.Retention {
		_, err := c.WorkflowService().UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{
			Namespace: opts.Namespace,
			Config:    &namespacepb.NamespaceConfig{WorkflowExecutionRetentionTtl: durationpb.New(opts.Retention)},
		})
		if err != nil {
			return fmt.Errorf("setting the retention of namespace %q (CARTBACK_RETENTION): %w", opts.Namespace, err)
		}
	}
	// A file made before an attribute existed gets it here; the services then learn of it at their
	// next namespace refresh, and a workflow task that set it sooner would fail.
	before, err := customAttributes(ctx, c, opts.Namespace)
	if err != nil {
		return err
	}
	if err := worker.EnsureSearchAttributes(ctx, c, opts.Namespace); err != nil {
		return err
	}
	after, err := customAttributes(ctx, c, opts.Namespace)
	if err != nil {
		return err
	}
	if after > before {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * namespaceRefresh):
		}
	}
	return nil
}

func customAttributes(ctx context.Context, c client.Client, namespace string) (int, error) {
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return 0, fmt.Errorf("listing the search attributes of namespace %q: %w", namespace, err)
	}
	return len(resp.GetCustomAttributes()), nil
}

// startUI runs the Web UI in the background (its Start blocks until Stop) and waits until it answers.
func (s *Server) startUI(ctx context.Context, opts Options) error {
	host := opts.IP
	if ip := net.ParseIP(host); ip != nil && ip.To4() == nil {
		host = "[" + host + "]" // the UI server joins host and port with a plain ":"
	}
	s.ui = uiserver.NewServer(uioptions.WithConfigProvider(&uiconfig.Config{
		Host:                host,
		Port:                opts.UIPort,
		TemporalGRPCAddress: s.frontend,
		EnableUI:            true,
		DefaultNamespace:    opts.Namespace,
		CORS:                uiconfig.CORS{CookieInsecure: true}, // plain HTTP on localhost
		HideLogs:            true,
		DisableNewsFetch:    true, // no calls out to temporal.io from a page full of customers' data
		Codec:               uiconfig.Codec{Endpoint: opts.CodecEndpoint},
	}))
	go func() { _ = s.ui.Start() }()
	s.uiAddress = "http://" + net.JoinHostPort(opts.IP, strconv.Itoa(opts.UIPort))
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.uiAddress+"/healthz", nil)
		if err != nil {
			return err
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the Temporal Web UI on %s: %w", s.uiAddress, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
