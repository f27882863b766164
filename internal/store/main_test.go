package store

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// The package's tests share one throwaway PostgreSQL server, started here and stopped when they end. Each test
// works in tenants of its own, so tests do not see each other's data.
var (
	testDSN   string
	testSetup error
)

func TestMain(m *testing.M) {
	pg, err := startPostgres()
	testSetup = err
	if err == nil {
		testDSN = pg.dsn
	}
	code := m.Run()
	if pg != nil {
		pg.stop()
	}
	os.Exit(code)
}

// requireDB fails the test when the server could not be started. Failing, not skipping: a machine without
// PostgreSQL must not pass the storage tests by running none of them.
func requireDB(tb testing.TB) {
	tb.Helper()
	if testSetup != nil {
		tb.Fatalf("no test database: %v", testSetup)
	}
}

type testPostgres struct {
	dir, binDir, dsn string
	cred             *syscall.Credential
}

// errNoPostgres tells how to get the server binaries the tests run.
var errNoPostgres = errors.New("PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin: " +
	"install Debian's postgresql package (apt-get install -y postgresql; hack/ensure-packages.sh installs it)")

// postgresBinDir returns the bin directory of the newest PostgreSQL installed the Debian way.
func postgresBinDir() (string, error) {
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(found) == 0 {
		return "", errNoPostgres
	}
	version := func(p string) int {
		v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(p))))
		return v
	}
	sort.Slice(found, func(i, j int) bool { return version(found[i]) > version(found[j]) })
	dir := filepath.Dir(found[0])
	if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err != nil {
		return "", errNoPostgres
	}
	return dir, nil
}

// startPostgres initializes a cluster in a temporary directory and starts it on a free loopback port, with its
// unix socket in that directory too, so it touches nothing outside it. initdb refuses to run as root, so as root
// the server runs as the postgres user that Debian's package creates.
func startPostgres() (*testPostgres, error) {
	bin, err := postgresBinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "store-pg-")
	if err != nil {
		return nil, err
	}
	pg := &testPostgres{dir: dir, binDir: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root, and no postgres user to run the server as (%v): %w", err, errNoPostgres)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		pg.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if out, err := pg.run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C",
		"--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	// Durability is pointless for a throwaway server and costs most of the time of the erasure benchmark's seed.
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "+
		"-c full_page_writes=off -c max_connections=60 -c maintenance_work_mem=256MB", port, dir)
	logFile := filepath.Join(dir, "postgres.log")
	if out, err := pg.run("pg_ctl", "-D", data, "-l", logFile, "-w", "-t", "60", "-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(logFile)
		pg.stop()
		return nil, fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	pg.dsn = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	return pg, nil
}

func (pg *testPostgres) run(tool string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(pg.binDir, tool), args...)
	cmd.Dir = pg.dir
	if pg.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: pg.cred}
	}
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// stop shuts the server down without waiting for clients and removes its directory.
func (pg *testPostgres) stop() {
	data := filepath.Join(pg.dir, "data")
	if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); err == nil {
		if out, err := pg.run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"); err != nil {
			fmt.Fprintf(os.Stderr, "pg_ctl stop: %v\n%s\n", err, out)
		}
	}
	os.RemoveAll(pg.dir)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
