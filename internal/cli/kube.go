package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/discovery"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	workspacesv1alpha1 "github.com/alitok/workspace-operator/api/v1alpha1"
)

// kube is a command's connection to the cluster: kubectl's flags (--kubeconfig, --context, --as, …), read the
// way kubectl reads them, with the Pod's in-cluster configuration as the fallback.
type kube struct {
	flags *genericclioptions.ConfigFlags
}

// addKubeFlags adds the connection flags to cmd; withNamespace also adds -n/--namespace, for commands where a
// namespace means something.
func addKubeFlags(cmd *cobra.Command, withNamespace bool) *kube {
	f := genericclioptions.NewConfigFlags(false)
	if !withNamespace {
		f.Namespace = nil
	}
	connection := pflag.NewFlagSet("connection", pflag.ContinueOnError)
	f.AddFlags(connection)
	connection.VisitAll(func(fl *pflag.Flag) {
		_ = connection.SetAnnotation(fl.Name, connectionFlag, []string{"true"})
	})
	cmd.Flags().AddFlagSet(connection)
	return &kube{flags: f}
}

// connectionFlag annotates kubectl's connection flags, which the usage lists apart from a command's own.
const connectionFlag = "workspace-operator/connection"

// flagsWhere are the usage lines of the flags of fs that are (or are not) connection flags.
func flagsWhere(fs *pflag.FlagSet, connection bool) string {
	out := pflag.NewFlagSet("", pflag.ContinueOnError)
	fs.VisitAll(func(fl *pflag.Flag) {
		if _, is := fl.Annotations[connectionFlag]; is == connection {
			out.AddFlag(fl)
		}
	})
	return out.FlagUsages()
}

// restConfig is the REST configuration the flags describe.
func (k *kube) restConfig() (*rest.Config, error) {
	// Without a kubeconfig client-go would try localhost:8080; say what is missing instead.
	raw, err := k.flags.ToRawKubeConfigLoader().RawConfig()
	if err == nil && len(raw.Clusters) == 0 && (k.flags.APIServer == nil || *k.flags.APIServer == "") {
		if _, icErr := rest.InClusterConfig(); icErr != nil {
			return nil, errors.New("no cluster to talk to: no kubeconfig (--kubeconfig, KUBECONFIG, ~/.kube/config) and not running in a Pod (set --kubeconfig or KUBECONFIG)")
		}
	}
	cfg, err := k.flags.ToRESTConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, errors.New("no cluster to talk to: no kubeconfig found and not running in a Pod (set --kubeconfig or KUBECONFIG)")
		}
		return nil, fmt.Errorf("no cluster to talk to: %w (set --kubeconfig or KUBECONFIG)", err)
	}
	return cfg, nil
}

// reachable asks the API server for its version, so that a cluster that does not answer is said in one line
// before anything else fails on it.
func reachable(cfg *rest.Config) error {
	probe := rest.CopyConfig(cfg)
	probe.Timeout = 15 * time.Second
	dc, err := discovery.NewDiscoveryClientForConfig(probe)
	if err != nil {
		return fmt.Errorf("no cluster to talk to: %w (set --kubeconfig or KUBECONFIG)", err)
	}
	if _, err := dc.ServerVersion(); err != nil {
		return fmt.Errorf("no cluster to talk to: %s: %w (set --kubeconfig or KUBECONFIG)", cfg.Host, err)
	}
	return nil
}

// client is an uncached client for the operator's kinds.
func (k *kube) client() (client.Client, error) {
	cfg, err := k.restConfig()
	if err != nil {
		return nil, err
	}
	s, err := NewScheme()
	if err != nil {
		return nil, err
	}
	return client.New(cfg, client.Options{Scheme: s})
}

// namespace is the namespace given with -n, else the kubeconfig context's, else fallback.
func (k *kube) namespace(fallback string) string {
	if k.flags.Namespace != nil && *k.flags.Namespace != "" {
		return *k.flags.Namespace
	}
	if ns, explicit, err := k.flags.ToRawKubeConfigLoader().Namespace(); err == nil && explicit {
		return ns
	}
	return fallback
}

// NewScheme holds every kind the operator and the commands read or write.
func NewScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := workspacesv1alpha1.AddToScheme(s); err != nil {
		return nil, err
	}
	return s, nil
}
