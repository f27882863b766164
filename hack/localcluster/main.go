// Command localcluster runs a real control plane for people on this machine: etcd, kube-apiserver,
// kube-controller-manager and the External Secrets Operator on loopback, built from source by
// hack/build-tools.sh, with the project's and ESO's CRDs installed. It writes a cluster-admin kubeconfig into --dir and runs until it is stopped
// (SIGINT or SIGTERM; hack/local-cluster.sh down). State is not kept across runs.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/alitok/workspace-operator/internal/testenv"
)

func main() {
	dir := flag.String("dir", ".local", "folder for the kubeconfig and the components' logs")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "localcluster:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	kcmLog, err := os.Create(filepath.Join(dir, "kube-controller-manager.log"))
	if err != nil {
		return err
	}
	defer kcmLog.Close()
	esoLog, err := os.Create(filepath.Join(dir, "external-secrets.log"))
	if err != nil {
		return err
	}
	defer esoLog.Close()
	env, err := testenv.Start(testenv.Options{ControllerManager: true, ControllerManagerLog: kcmLog, ESO: true, ESOLog: esoLog})
	if err != nil {
		return err
	}
	defer func() { _ = env.Stop() }()

	kubeconfig, err := os.ReadFile(env.Kubeconfig)
	if err != nil {
		return err
	}
	target := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(target+".tmp", kubeconfig, 0o600); err != nil {
		return err
	}
	// Renamed into place last, so whoever waits for the file finds a cluster ready to use.
	if err := os.Rename(target+".tmp", target); err != nil {
		return err
	}
	defer os.Remove(target)
	fmt.Printf("control plane up at %s; kubeconfig %s\n", env.Config.Host, target)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	fmt.Println("stopping the control plane")
	return nil
}
