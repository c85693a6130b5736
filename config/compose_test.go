package config

// Docker cannot run where these tests do: they read docker-compose.yml and the Dockerfile and
// check them against the table, go.mod and the workflows' contract instead.

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cartback/cartback/server"
	"github.com/cartback/cartback/worker"
	"github.com/cartback/cartback/workflows"
)

const (
	composePath    = "../docker-compose.yml"
	dockerfilePath = "../Dockerfile"
	goModPath      = "../go.mod"
)

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string                       `yaml:"image"`
	Build       any                          `yaml:"build"`
	Command     []string                     `yaml:"command"`
	Environment map[string]*string           `yaml:"environment"` // nil: passed through from .env or the shell
	Ports       []string                     `yaml:"ports"`
	StopGrace   string                       `yaml:"stop_grace_period"`
	Volumes     []string                     `yaml:"volumes"`
	DependsOn   map[string]composeDependency `yaml:"depends_on"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

type composeDependency struct {
	Condition string `yaml:"condition"`
}

func readCompose(t *testing.T) (composeFile, string) {
	t.Helper()
	raw, err := os.ReadFile(composePath)
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return f, string(raw)
}

// goModVersion is the version go.mod requires of module path, or its go directive's for "go".
func goModVersion(t *testing.T, module string) string {
	t.Helper()
	raw, err := os.ReadFile(goModPath)
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(raw)) {
		fields := strings.Fields(line)
		if fields = slices.DeleteFunc(fields, func(f string) bool { return f == "require" || f == "(" }); len(fields) >= 2 && fields[0] == module {
			return strings.TrimPrefix(fields[1], "v")
		}
	}
	t.Fatalf("go.mod does not require %s", module)
	return ""
}

// servicesByImage finds the services of an image, whatever its tag.
func servicesByImage(f composeFile, repo string) []string {
	var names []string
	for name, s := range f.Services {
		if r, _, _ := strings.Cut(s.Image, ":"); r == repo {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

func oneService(t *testing.T, f composeFile, repo string) (string, composeService) {
	t.Helper()
	names := servicesByImage(f, repo)
	if len(names) != 1 {
		t.Fatalf("want one %s service, have %v", repo, names)
	}
	return names[0], f.Services[names[0]]
}

// cartbackServices are the services of our image, by the command they run.
func cartbackServices(t *testing.T, f composeFile) map[string]composeService {
	t.Helper()
	byCommand := map[string]composeService{}
	for name, s := range f.Services {
		if s.Build == nil {
			continue
		}
		if len(s.Command) != 1 {
			t.Errorf("%s: command %q, want one cartback command", name, s.Command)
			continue
		}
		byCommand[s.Command[0]] = s
	}
	for _, cmd := range []string{CommandWorker, CommandServer} {
		if _, ok := byCommand[cmd]; !ok {
			t.Fatalf("no service runs `cartback %s`", cmd)
		}
	}
	return byCommand
}

var versionTag = regexp.MustCompile(`^v?[0-9]+(\.[0-9]+)*$`)

func TestComposeImagesArePinned(t *testing.T) {
	f, _ := readCompose(t)
	for name, s := range f.Services {
		if s.Image == "" {
			if s.Build == nil {
				t.Errorf("%s has neither an image nor a build", name)
			}
			continue
		}
		if s.Build != nil {
			t.Errorf("%s both builds and names an image (%s): compose would push or pull it", name, s.Image)
		}
		_, tag, _ := strings.Cut(s.Image, ":")
		if !versionTag.MatchString(tag) {
			t.Errorf("%s: image %q is not pinned to a version", name, s.Image)
		}
	}

	server := goModVersion(t, "go.temporal.io/server")
	_, temporal := oneService(t, f, "temporalio/server")
	if temporal.Image != "temporalio/server:"+server {
		t.Errorf("Temporal runs %s, cartback builds against go.temporal.io/server %s", temporal.Image, server)
	}
	// The admin tools' schema must be the server's.
	for _, name := range servicesByImage(f, "temporalio/admin-tools") {
		if img := f.Services[name].Image; img != "temporalio/admin-tools:"+server {
			t.Errorf("%s runs %s, the server is %s", name, img, server)
		}
	}
	oneService(t, f, "temporalio/ui")
	oneService(t, f, "postgres")
}

var interpolation = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)(?::?([-?])([^}]*))?\}`)

// TestComposeWiresTheTable: each cartback service gets every variable its command reads and no
// other, required ones as ${VAR:?...} from .env, secrets never written in the file.
func TestComposeWiresTheTable(t *testing.T) {
	f, raw := readCompose(t)
	temporalName, _ := oneService(t, f, "temporalio/server")
	temporalOnly := envconfigNames(t)

	for cmd, s := range cartbackServices(t, f) {
		for name, value := range s.Environment {
			v := byName[name]
			switch {
			case v == nil:
				t.Errorf("cartback %s: %s is not a variable cartback reads", cmd, name)
				continue
			case !slices.Contains(v.ReadBy, cmd):
				t.Errorf("cartback %s: %s is set, but only %v read it", cmd, name, v.ReadBy)
			}
			if value == nil {
				if slices.Contains(v.RequiredBy, cmd) {
					t.Errorf("cartback %s requires %s: write it ${%[2]s:?set %[2]s in .env}", cmd, name)
				}
				continue
			}
			m := interpolation.FindStringSubmatch(*value)
			if v.Secret && (m == nil || m[0] != *value || m[1] != name) {
				t.Errorf("cartback %s: the secret %s must come from .env as ${%[2]s...}, not %q", cmd, name, *value)
			}
			if slices.Contains(v.RequiredBy, cmd) && (m == nil || m[1] != name || m[2] != "?") {
				t.Errorf("cartback %s requires %s: write it ${%[2]s:?set %[2]s in .env}, not %q", cmd, name, *value)
			}
		}
		for _, v := range settings {
			_, set := s.Environment[v.Name]
			switch {
			case !slices.Contains(v.ReadBy, cmd):
			case v.field != nil && !set:
				t.Errorf("cartback %s reads %s: wire it (empty, it is passed through from .env)", cmd, v.Name)
			case temporalOnly[v.Name] && !set && (v.Name == "TEMPORAL_ADDRESS" || v.Name == "TEMPORAL_NAMESPACE"):
				t.Errorf("cartback %s: set %s, the file's own Temporal", cmd, v.Name)
			}
		}
		// The file's Temporal is plaintext: TLS and API key settings are for Temporal Cloud.
		if addr := s.Environment["TEMPORAL_ADDRESS"]; addr == nil || *addr != temporalName+":7233" {
			t.Errorf("cartback %s: TEMPORAL_ADDRESS should be %s:7233", cmd, temporalName)
		}
	}

	// Every cartback-looking variable the file interpolates is one of ours, and its default is ours.
	for _, m := range interpolation.FindAllStringSubmatch(raw, -1) {
		name := m[1]
		if !strings.HasPrefix(name, "CARTBACK_") && !strings.HasPrefix(name, "WHATSAPP_") && !strings.HasPrefix(name, "TEMPORAL_") {
			continue
		}
		v := byName[name]
		if v == nil {
			t.Errorf("docker-compose.yml interpolates %s, which cartback does not read", m[0])
			continue
		}
		if m[2] == "-" && m[3] != v.Default {
			t.Errorf("docker-compose.yml: %s defaults to %q, cartback's default is %q", m[0], m[3], v.Default)
		}
	}
	// Secrets that are not cartback's come from .env too.
	for name, s := range f.Services {
		for key, value := range s.Environment {
			if strings.Contains(key, "PASSWORD") || strings.Contains(key, "PWD") {
				if value == nil || !strings.HasPrefix(*value, "${") {
					t.Errorf("%s: %s must come from .env", name, key)
				}
			}
		}
	}
}

func TestComposePorts(t *testing.T) {
	f, _ := readCompose(t)
	services := cartbackServices(t, f)
	_, httpPort, err := net.SplitHostPort(DefaultHTTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	addr := services[CommandServer].Environment["CARTBACK_HTTP_ADDR"]
	if addr == nil {
		t.Fatal("the server's CARTBACK_HTTP_ADDR is not set: it would listen on 127.0.0.1 inside its container")
	}
	host, serverPort, err := net.SplitHostPort(*addr)
	if err != nil || (host != "0.0.0.0" && host != "") {
		t.Errorf("the server listens on %q: in a container, it must listen on every interface", *addr)
	}

	temporalName, _ := oneService(t, f, "temporalio/server")
	uiName, _ := oneService(t, f, "temporalio/ui")
	// host port -> container port, as the README documents them and `cartback dev` uses them.
	want := map[string][]string{
		temporalName: {strconv.Itoa(DefaultTemporalPort) + ":7233"},
		uiName:       {strconv.Itoa(DefaultUIPort) + ":8080"},
	}
	for name, s := range f.Services {
		if len(s.Command) == 1 && s.Command[0] == CommandServer && s.Build != nil {
			want[name] = []string{httpPort + ":" + serverPort}
		}
	}
	for name, s := range f.Services {
		var got []string
		for _, p := range s.Ports {
			ip, rest, ok := strings.Cut(p, ":")
			if !ok || strings.Count(p, ":") != 2 || ip != "127.0.0.1" {
				t.Errorf("%s publishes %q: publish on 127.0.0.1 only (ip:host:container)", name, p)
				continue
			}
			got = append(got, rest)
		}
		if !slices.Equal(got, want[name]) {
			t.Errorf("%s publishes %v, want %v", name, got, want[name])
		}
	}
}

func TestComposeStartOrder(t *testing.T) {
	f, _ := readCompose(t)
	pgName, _ := oneService(t, f, "postgres")
	temporalName, temporal := oneService(t, f, "temporalio/server")
	uiName, _ := oneService(t, f, "temporalio/ui")
	schemaName, namespaceName := adminServices(t, f)

	for name, s := range f.Services {
		for dep, d := range s.DependsOn {
			target, ok := f.Services[dep]
			switch {
			case !ok:
				t.Errorf("%s depends on %s, which is not a service", name, dep)
			case d.Condition == "service_healthy" && (target.Healthcheck == nil || len(target.Healthcheck.Test) == 0):
				t.Errorf("%s waits for %s to be healthy, which has no health check", name, dep)
			case d.Condition != "service_healthy" && d.Condition != "service_completed_successfully":
				t.Errorf("%s depends on %s with condition %q: wait for health or completion", name, dep, d.Condition)
			}
		}
	}
	want := map[string]map[string]string{
		schemaName:    {pgName: "service_healthy"},
		temporalName:  {pgName: "service_healthy", schemaName: "service_completed_successfully"},
		namespaceName: {temporalName: "service_healthy"},
		uiName:        {temporalName: "service_healthy"},
	}
	for cmd, s := range cartbackServices(t, f) {
		for dep, cond := range map[string]string{temporalName: "service_healthy", namespaceName: "service_completed_successfully"} {
			if got := s.DependsOn[dep].Condition; got != cond {
				t.Errorf("cartback %s depends on %s with %q, want %s", cmd, dep, got, cond)
			}
		}
	}
	for name, deps := range want {
		for dep, cond := range deps {
			if got := f.Services[name].DependsOn[dep].Condition; got != cond {
				t.Errorf("%s depends on %s with %q, want %s", name, dep, got, cond)
			}
		}
	}

	// Temporal's store: PostgreSQL through the plugin the schema was set up with, persisted.
	env := func(s composeService, k string) string {
		if v := s.Environment[k]; v != nil {
			return *v
		}
		return ""
	}
	schema := f.Services[schemaName]
	if env(temporal, "DB") != "postgres12" || env(schema, "SQL_PLUGIN") != "postgres12" ||
		env(temporal, "POSTGRES_SEEDS") != pgName || env(schema, "SQL_HOST") != pgName {
		t.Errorf("Temporal (DB=%s on %s) and its schema (SQL_PLUGIN=%s on %s) must both be postgres12 on %s",
			env(temporal, "DB"), env(temporal, "POSTGRES_SEEDS"), env(schema, "SQL_PLUGIN"), env(schema, "SQL_HOST"), pgName)
	}
	script := strings.Join(schema.Command, "\n")
	for _, db := range []struct{ name, dir string }{{"temporal", "temporal"}, {"temporal_visibility", "visibility"}} {
		for _, step := range []string{"create", "setup-schema -v 0.0", "update-schema -d /etc/temporal/schema/postgresql/v12/" + db.dir + "/versioned"} {
			if !strings.Contains(script, "temporal-sql-tool --db "+db.name+" "+step+"\n") {
				t.Errorf("%s does not run `temporal-sql-tool --db %s %s`", schemaName, db.name, step)
			}
		}
	}
	if !slices.ContainsFunc(f.Services[pgName].Volumes, func(v string) bool { return strings.HasSuffix(v, ":/var/lib/postgresql/data") }) {
		t.Errorf("%s keeps its data in no volume", pgName)
	}

	// The dynamic config file the server reads exists (the server refuses to start without it).
	path := env(temporal, "DYNAMIC_CONFIG_FILE_PATH")
	found := false
	for _, v := range temporal.Volumes {
		src, dst, _ := strings.Cut(strings.TrimSuffix(v, ":ro"), ":")
		if rel, ok := strings.CutPrefix(path, dst+"/"); ok {
			if _, err := os.Stat(filepath.Join("..", src, rel)); err != nil {
				t.Errorf("Temporal's dynamic config %s: %v", path, err)
			}
			found = true
		}
	}
	if !found {
		t.Errorf("Temporal's dynamic config %q is in none of its volumes", path)
	}
}

// adminServices tells the admin-tools services apart: the schema's, before the server, and the
// namespace's, after it.
func adminServices(t *testing.T, f composeFile) (schema, namespace string) {
	t.Helper()
	for _, name := range servicesByImage(f, "temporalio/admin-tools") {
		script := strings.Join(f.Services[name].Command, "\n")
		switch {
		case strings.Contains(script, "temporal-sql-tool"):
			schema = name
		case strings.Contains(script, "temporal operator namespace create"):
			namespace = name
		}
	}
	if schema == "" || namespace == "" {
		t.Fatalf("want an admin-tools service for the schema and one for the namespace, have %q and %q", schema, namespace)
	}
	return schema, namespace
}

var searchAttributeFlags = regexp.MustCompile(`--name\s+(\S+)\s+--type\s+(\S+)`)

// TestComposeNamespace: the namespace the cartback services use is created with the retention of
// CARTBACK_RETENTION and exactly the workflows' search attributes.
func TestComposeNamespace(t *testing.T) {
	f, _ := readCompose(t)
	_, nsName := adminServices(t, f)
	ns := f.Services[nsName]
	script := shellScript(ns)

	retention := ns.Environment["CARTBACK_RETENTION"]
	if retention == nil || *retention != "${CARTBACK_RETENTION:-"+byName["CARTBACK_RETENTION"].Default+"}" {
		t.Errorf("%s: CARTBACK_RETENTION should be ${CARTBACK_RETENTION:-%s}", nsName, byName["CARTBACK_RETENTION"].Default)
	}
	for _, cmd := range []string{"namespace create", "namespace update"} {
		if !strings.Contains(script, `temporal operator `+cmd+` --namespace "$TEMPORAL_NAMESPACE" --retention "$CARTBACK_RETENTION"`) {
			t.Errorf("%s does not run `temporal operator %s` with the namespace and CARTBACK_RETENTION", nsName, cmd)
		}
	}
	namespace := ns.Environment["TEMPORAL_NAMESPACE"]
	for cmd, s := range cartbackServices(t, f) {
		if got := s.Environment["TEMPORAL_NAMESPACE"]; namespace == nil || got == nil || *got != *namespace {
			t.Errorf("cartback %s uses namespace %v, %s sets up %v", cmd, deref(got), nsName, deref(namespace))
		}
	}

	var create string
	for line := range strings.Lines(script) {
		if strings.Contains(line, "temporal operator search-attribute create") {
			create += line
		}
	}
	got := map[string]string{}
	for _, m := range searchAttributeFlags.FindAllStringSubmatch(create, -1) {
		got[m[1]] = m[2]
	}
	want := map[string]string{}
	for _, key := range []interface {
		GetName() string
	}{workflows.CartIDAttribute, workflows.OutcomeAttribute} {
		want[key.GetName()] = "Keyword"
	}
	if workflows.CartIDAttribute.GetValueType().String() != "Keyword" || workflows.OutcomeAttribute.GetValueType().String() != "Keyword" {
		t.Fatal("the workflows' search attributes are no longer both Keyword: update docker-compose.yml and this test")
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s creates the search attribute %s, which the workflows do not use", nsName, name)
		}
	}
	for name, typ := range want {
		if got[name] != typ {
			t.Errorf("%s creates %s as %q, the workflows use it as %s", nsName, name, got[name], typ)
		}
	}
}

func TestDockerfile(t *testing.T) {
	raw, err := os.ReadFile(dockerfilePath)
	if err != nil {
		t.Fatal(err)
	}
	// Instructions, with their continuation lines joined.
	text := strings.ReplaceAll(string(raw), "\\\n", " ")
	var from []string
	var build, user, entrypoint string
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		switch word, rest, _ := strings.Cut(line, " "); word {
		case "FROM":
			fields := strings.Fields(rest)
			fields = slices.DeleteFunc(fields, func(f string) bool { return strings.HasPrefix(f, "--platform=") })
			from = append(from, fields[0])
		case "RUN":
			if strings.Contains(rest, "go build") {
				build = rest
			}
		case "USER":
			user = rest
		case "ENTRYPOINT":
			entrypoint = rest
		}
	}
	if want := "golang:" + goModVersion(t, "go"); len(from) != 2 || from[0] != want {
		t.Errorf("the build stage is %v, want %s (go.mod's go version), then the runtime stage", from, want)
	}
	if len(from) == 2 && from[1] != "gcr.io/distroless/static-debian12:nonroot" {
		t.Errorf("the runtime stage is %s, want gcr.io/distroless/static-debian12:nonroot", from[1])
	}
	for _, part := range []string{"CGO_ENABLED=0", "-tags nodev", "-trimpath", "-o /cartback ./cmd/cartback"} {
		if !strings.Contains(build, part) {
			t.Errorf("the build (%q) lacks %s", build, part)
		}
	}
	if user == "" || user == "root" || strings.HasPrefix(user, "0") {
		t.Errorf("the image runs as %q, want a non-root user", user)
	}
	if entrypoint != `["/cartback"]` {
		t.Errorf("ENTRYPOINT %s, want [\"/cartback\"]", entrypoint)
	}

	ignore, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{".git", ".env", ".cartback/"} {
		if !slices.Contains(strings.Fields(string(ignore)), p) {
			t.Errorf(".dockerignore does not keep %s out of the build context", p)
		}
	}
}

// shellScript is a service's command as the container runs it: compose turns $$ into $.
func shellScript(s composeService) string {
	return strings.ReplaceAll(strings.Join(s.Command, "\n"), "$$", "$")
}

func deref(s *string) string {
	if s == nil {
		return "(unset)"
	}
	return *s
}

// TestComposeStopGrace: Docker waits longer for the worker than the worker waits for its sends in
// flight, and longer for the server than one request's calls to Temporal may take.
func TestComposeStopGrace(t *testing.T) {
	f, _ := readCompose(t)
	for service, atLeast := range map[string]time.Duration{"worker": worker.StopTimeout, "server": server.DefaultCallTimeout} {
		grace, err := time.ParseDuration(f.Services[service].StopGrace)
		if err != nil || grace <= atLeast {
			t.Errorf("%s: stop_grace_period %q, want a duration over %v", service, f.Services[service].StopGrace, atLeast)
		}
	}
}
