package client

// SetPageLimits lowers the limits on paged replies for a test and returns
// a function that puts them back.
func SetPageLimits(entries, pages int, bytes int64) (restore func()) {
	old := pageLimits
	pageLimits.entries, pageLimits.pages, pageLimits.bytes = entries, pages, bytes
	return func() { pageLimits = old }
}

// SetAfterRequestWritten runs f each time a request has been written,
// before the client stops watching the request's context.
func SetAfterRequestWritten(f func()) (restore func()) {
	old := afterRequestWritten
	afterRequestWritten = f
	return func() { afterRequestWritten = old }
}
