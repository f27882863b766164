// Package tiktokshop is a client for the TikTok Shop Open API (version 202309), for the worker's sync task.
//
// A Client acts for one shop: it signs every call (see Sign), sends the access token in the x-tts-access-token
// header, retries rate-limited and failed calls with backoff (httpretry), and walks the token-paginated search calls:
// ListProducts, ListOrders, ListPackages (fulfillment) and ListReturns. AuthorizedShops finds the shop cipher of a
// fresh token. RefreshToken trades the refresh token for new tokens at the auth host (DefaultAuthBaseURL) before the
// access token expires. VerifyWebhook and ParseWebhook handle pushed events, among them seller deauthorization.
//
// Failures are *Error values; errors.Is tells their kind (ErrUnauthorized, ErrTokenExpired, ErrReauthorize,
// ErrForbidden, ErrRateLimited, ErrUnavailable, ErrMalformedResponse). Neither errors nor the String of Credentials,
// Token and Client contain the app secret, a token or a signature, and the package logs nothing.
package tiktokshop
