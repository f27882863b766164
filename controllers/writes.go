package controllers

import (
	"context"
	"sync"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// wroteKey is the context key of a pass's write flag.
type wroteKey struct{}

// withWriteFlag returns a context in which writes through a writeFlaggingClient are recorded.
func withWriteFlag(ctx context.Context) context.Context {
	return context.WithValue(ctx, wroteKey{}, &atomic.Bool{})
}

// wroteInPass reports whether a write was sent through a writeFlaggingClient with ctx.
func wroteInPass(ctx context.Context) bool {
	flag := writeFlag(ctx)
	return flag != nil && flag.Load()
}

// writeFlag is ctx's write flag, or nil outside a pass.
func writeFlag(ctx context.Context) *atomic.Bool {
	flag, _ := ctx.Value(wroteKey{}).(*atomic.Bool)
	return flag
}

// writeFlaggingClient is the reconcilers' client. It records, in the flag of the request's context, that a pass
// sent a write: what the pass reads from the cache afterwards may not show it yet. And it carries what the apply
// steps need besides the cache (apply.go): a reader of the API server, for the rare object someone else wrote
// too, and the record of such objects already read and found as the operator applied them.
type writeFlaggingClient struct {
	client.Client
	api     client.Reader
	checked *sync.Map
}

// newOperatorClient wraps c (the manager's cached client) for a reconciler; api reads the API server directly.
func newOperatorClient(c client.Client, api client.Reader) client.Client {
	if w, ok := c.(writeFlaggingClient); ok {
		return w
	}
	if api == nil {
		api = c
	}
	return writeFlaggingClient{Client: c, api: api, checked: &sync.Map{}}
}

func markWrite(ctx context.Context) {
	if flag := writeFlag(ctx); flag != nil {
		flag.Store(true)
	}
}

func (c writeFlaggingClient) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	markWrite(ctx)
	return c.Client.Create(ctx, obj, opts...)
}

func (c writeFlaggingClient) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	markWrite(ctx)
	return c.Client.Update(ctx, obj, opts...)
}

func (c writeFlaggingClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	markWrite(ctx)
	return c.Client.Patch(ctx, obj, patch, opts...)
}

func (c writeFlaggingClient) Apply(ctx context.Context, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
	markWrite(ctx)
	return c.Client.Apply(ctx, obj, opts...)
}

func (c writeFlaggingClient) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	markWrite(ctx)
	return c.Client.Delete(ctx, obj, opts...)
}

func (c writeFlaggingClient) DeleteAllOf(ctx context.Context, obj client.Object, opts ...client.DeleteAllOfOption) error {
	markWrite(ctx)
	return c.Client.DeleteAllOf(ctx, obj, opts...)
}
