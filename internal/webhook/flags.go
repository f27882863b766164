package webhook

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"
)

// Flags are the command-line flags of `workspace-operator webhook`. The chart's Deployment passes them; a test
// parses its rendered arguments with Bind, so the two cannot drift apart unseen.
type Flags struct {
	Listen                 string
	MetricsBindAddress     string
	HealthProbeBindAddress string
	TikTokShopAppKeyFile   string
	TikTokShopAppSecFile   string
	MaxEventAge            time.Duration
}

// Bind defines the flags on fs.
func (f *Flags) Bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.Listen, "listen", ":8080", "address the webhooks are served on, plain HTTP: TLS ends at the installer's Ingress")
	fs.StringVar(&f.MetricsBindAddress, "metrics-bind-address", ":8082", "address the metrics endpoint binds to; 0 disables it")
	fs.StringVar(&f.HealthProbeBindAddress, "health-probe-bind-address", ":8081", "address the health and readiness probes bind to; 0 disables them")
	fs.StringVar(&f.TikTokShopAppKeyFile, "tiktokshop-app-key-file", "", "file holding the TikTok Shop app key (mounted from a Secret)")
	fs.StringVar(&f.TikTokShopAppSecFile, "tiktokshop-app-secret-file", "", "file holding the TikTok Shop app secret (mounted from a Secret)")
	fs.DurationVar(&f.MaxEventAge, "max-event-age", DefaultMaxEventAge, "how far an event's timestamp may be from this clock, either way, before it is refused")
}

// Check refuses values no receiver can run with; the credential files are checked when read. Positional
// arguments are the command line's to refuse.
func (f *Flags) Check() error {
	if f.MaxEventAge <= 0 {
		return fmt.Errorf("--max-event-age must be positive, not %s", f.MaxEventAge)
	}
	if f.Listen == "" || f.Listen == "0" {
		return errors.New("--listen is required: the receiver has nothing else to do")
	}
	return nil
}
