// Package browsertest drives netdisk's web page in a real headless
// Chromium (through chromedp) against a real server started in the test:
// accounts, uploads (picked, dropped, resumed, tampered with), downloads
// and zips, arranging files, previews, interoperation with the
// command-line client, accessibility (axe-core) and the page's
// screenshots. It holds tests only; ./test.sh installs Chromium first.
package browsertest
