// Package aliexpress is a client for the AliExpress Open Platform (the IOP gateway at api-sg.aliexpress.com), for the
// worker's sync task.
//
// A Client acts for one seller: it signs every call (see Sign), retries rate-limited and failed calls with backoff
// (httpretry), and walks the page-numbered list APIs: ListOrders, ListProducts and ListReturns (disputes).
// GetOrder adds what the order list lacks: the shipping address and the shipments (fulfillment). RefreshToken
// trades the refresh token for new tokens (the system API /auth/token/refresh) before the access token expires.
//
// Failures are *Error values; errors.Is tells their kind (ErrUnauthorized, ErrTokenExpired, ErrReauthorize,
// ErrForbidden, ErrRateLimited, ErrUnavailable, ErrMalformedResponse). Neither errors nor the String of Credentials,
// Token and Client contain the app secret, a token or a signature, and the package logs nothing.
//
// AliExpress documents no notice to the app when a seller cancels its authorization; the cancelled token is only
// refused (IllegalAccessToken, ErrUnauthorized) on the next call.
package aliexpress
