package cli

import (
	"fmt"
	"net"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/alitok/workspace-operator/internal/logging"
	"github.com/alitok/workspace-operator/internal/memlimit"
	"github.com/alitok/workspace-operator/internal/webhook"
)

func newWebhookCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var (
		flags webhook.Flags
		log   logging.Flags
		k     *kube
	)
	cmd := &cobra.Command{
		Use:   "webhook",
		Short: "Receive the platforms' seller-deauthorization webhooks and mark the Integrations revoked",
		Long: `Serve the platforms' webhooks until SIGTERM: a verified TikTok Shop seller deauthorization marks the
shop's Integrations with workspaces.alitok.ai/revoked-at. Exits 1 when it cannot start or stops on an error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := flags.Check(); err != nil {
				return &usageError{err}
			}
			if _, err := log.Setup(streams.ErrOut); err != nil {
				return &usageError{err}
			}
			l := ctrl.Log.WithName("webhook")
			if soft := memlimit.FromCgroup(); soft > 0 {
				l.Info("Go memory limit set to 90% of the container's", "bytes", soft)
			}
			creds, err := webhook.LoadAppCredentials(flags.TikTokShopAppKeyFile, flags.TikTokShopAppSecFile)
			if err != nil {
				return err
			}
			scheme, err := NewScheme()
			if err != nil {
				return err
			}
			restCfg, err := k.restConfig()
			if err != nil {
				return err
			}
			if err := reachable(restCfg); err != nil {
				return err
			}
			ctx := ctrl.SetupSignalHandler()
			ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", flags.Listen)
			if err != nil {
				return fmt.Errorf("--listen: %w", err)
			}
			err = webhook.Run(ctx, restCfg, webhook.Options{
				Listener:               ln,
				MetricsBindAddress:     flags.MetricsBindAddress,
				HealthProbeBindAddress: flags.HealthProbeBindAddress,
				Scheme:                 scheme,
				TikTokShop:             webhook.TikTokShopOptions{Credentials: creds, MaxEventAge: flags.MaxEventAge},
				Log:                    l,
			})
			if err != nil {
				return fmt.Errorf("the webhook receiver stopped: %w", err)
			}
			return nil
		},
	}
	flags.Bind(cmd.Flags())
	log.Bind(cmd.Flags())
	k = addKubeFlags(cmd, false)
	return cmd
}
