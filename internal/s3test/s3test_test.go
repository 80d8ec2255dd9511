package s3test_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"netdisk/internal/s3test"
)

func TestMain(m *testing.M) { s3test.Main(m) }

// put stores body under key and returns the object's ETag.
func put(t *testing.T, client *s3.Client, bucket, key, body string) string {
	t.Helper()
	out, err := client.PutObject(t.Context(), &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: strings.NewReader(body)})
	if err != nil {
		t.Fatalf("PutObject %s: %v", key, err)
	}
	return aws.ToString(out.ETag)
}

// get returns the object's bytes in rng (a Range header; "" for all).
func get(t *testing.T, client *s3.Client, bucket, key, rng string) string {
	t.Helper()
	in := &s3.GetObjectInput{Bucket: &bucket, Key: &key}
	if rng != "" {
		in.Range = &rng
	}
	out, err := client.GetObject(t.Context(), in)
	if err != nil {
		t.Fatalf("GetObject %s %s: %v", key, rng, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("reading %s: %v", key, err)
	}
	return string(b)
}

// httpStatus returns the HTTP status of a failed request (0 if err is not
// an HTTP response).
func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func TestPutGetRoundTrip(t *testing.T) {
	t.Parallel()
	e := s3test.New(t)
	client := s3test.Client(e)
	body := strings.Repeat("netdisk ", 100000) // 800 kB, more than one read
	put(t, client, e.Bucket, "dir/file.txt", body)
	if got := get(t, client, e.Bucket, "dir/file.txt", ""); got != body {
		t.Fatalf("GetObject returned %d bytes; want the %d put", len(got), len(body))
	}
	_, err := client.GetObject(t.Context(), &s3.GetObjectInput{Bucket: &e.Bucket, Key: aws.String("absent")})
	var noSuchKey *types.NoSuchKey
	if !errors.As(err, &noSuchKey) {
		t.Fatalf("GetObject of an absent key: %v; want NoSuchKey", err)
	}
}

func TestConditionalPut(t *testing.T) {
	t.Parallel()
	e := s3test.New(t)
	client := s3test.Client(e)
	etag := put(t, client, e.Bucket, "k", "first")

	cases := []struct {
		name       string
		in         s3.PutObjectInput
		wantStatus int // 0: success
	}{
		{"if-none-match on an existing key", s3.PutObjectInput{IfNoneMatch: aws.String("*")}, http.StatusPreconditionFailed},
		{"if-none-match on a new key", s3.PutObjectInput{Key: aws.String("new"), IfNoneMatch: aws.String("*")}, 0},
		{"if-match with a wrong etag", s3.PutObjectInput{IfMatch: aws.String(`"0123456789abcdef0123456789abcdef"`)}, http.StatusPreconditionFailed},
		{"if-match with the right etag", s3.PutObjectInput{IfMatch: aws.String(etag)}, 0},
		{"if-match with the replaced etag", s3.PutObjectInput{IfMatch: aws.String(etag)}, http.StatusPreconditionFailed},
	}
	for i, c := range cases {
		in := c.in
		in.Bucket = &e.Bucket
		if in.Key == nil {
			in.Key = aws.String("k")
		}
		body := fmt.Sprintf("write %d", i)
		in.Body = strings.NewReader(body)
		_, err := client.PutObject(t.Context(), &in)
		switch {
		case c.wantStatus == 0 && err != nil:
			t.Errorf("%s: %v; want success", c.name, err)
		case c.wantStatus != 0 && httpStatus(err) != c.wantStatus:
			t.Errorf("%s: %v; want HTTP %d", c.name, err, c.wantStatus)
		}
	}
	// Only the write with the right ETag replaced the first.
	if got := get(t, client, e.Bucket, "k", ""); got != "write 3" {
		t.Fatalf("k holds %q after the conditional writes; want %q", got, "write 3")
	}
}

func TestRangedGet(t *testing.T) {
	t.Parallel()
	e := s3test.New(t)
	client := s3test.Client(e)
	const body = "0123456789abcdefghij"
	put(t, client, e.Bucket, "k", body)
	for _, c := range []struct{ rng, want string }{
		{"bytes=0-0", "0"},
		{"bytes=5-9", "56789"},
		{"bytes=15-", "fghij"},
		{"bytes=-3", "hij"},
		{"bytes=10-100", "abcdefghij"},
	} {
		if got := get(t, client, e.Bucket, "k", c.rng); got != c.want {
			t.Errorf("Range %s: %q; want %q", c.rng, got, c.want)
		}
	}
}

func TestListWithPrefix(t *testing.T) {
	t.Parallel()
	e := s3test.New(t)
	client := s3test.Client(e)
	for _, key := range []string{"a/1", "a/2", "a/sub/3", "b/1", "ab"} {
		put(t, client, e.Bucket, key, key)
	}
	for _, c := range []struct {
		prefix string
		want   []string
	}{
		{"a/", []string{"a/1", "a/2", "a/sub/3"}},
		{"a", []string{"a/1", "a/2", "a/sub/3", "ab"}},
		{"b/", []string{"b/1"}},
		{"c", nil},
	} {
		out, err := client.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: &e.Bucket, Prefix: &c.prefix})
		if err != nil {
			t.Fatalf("ListObjectsV2 %q: %v", c.prefix, err)
		}
		var got []string
		for _, o := range out.Contents {
			got = append(got, aws.ToString(o.Key))
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("ListObjectsV2 prefix %q: %q; want %q", c.prefix, got, c.want)
		}
	}
}

func TestCopyAndBatchDelete(t *testing.T) {
	t.Parallel()
	e := s3test.New(t)
	client := s3test.Client(e)
	put(t, client, e.Bucket, "src", "copied bytes")
	if _, err := client.CopyObject(t.Context(), &s3.CopyObjectInput{
		Bucket: &e.Bucket, Key: aws.String("dst"), CopySource: aws.String(e.Bucket + "/src"),
	}); err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	if got := get(t, client, e.Bucket, "dst", ""); got != "copied bytes" {
		t.Fatalf("copy holds %q", got)
	}

	out, err := client.DeleteObjects(t.Context(), &s3.DeleteObjectsInput{Bucket: &e.Bucket, Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: aws.String("src")}, {Key: aws.String("dst")}},
	}})
	if err != nil {
		t.Fatalf("DeleteObjects: %v", err)
	}
	if len(out.Deleted) != 2 || len(out.Errors) != 0 {
		t.Fatalf("DeleteObjects: %d deleted, errors %+v; want 2 and none", len(out.Deleted), out.Errors)
	}
	list, err := client.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: &e.Bucket})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Contents) != 0 {
		t.Fatalf("%d objects left after DeleteObjects", len(list.Contents))
	}
}

func TestNewGivesSeparateBuckets(t *testing.T) {
	t.Parallel()
	a, b := s3test.New(t), s3test.New(t)
	if a.Bucket == b.Bucket {
		t.Fatalf("two New calls gave the same bucket %s", a.Bucket)
	}
	client := s3test.Client(a)
	put(t, client, a.Bucket, "only-in-a", "x")
	out, err := client.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: &b.Bucket})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 0 {
		t.Fatalf("bucket %s holds %d objects; want none", b.Bucket, len(out.Contents))
	}
}

func TestBucketRemovedAtCleanup(t *testing.T) {
	t.Parallel()
	var gone s3test.Endpoint
	t.Run("user", func(t *testing.T) {
		gone = s3test.New(t)
		client := s3test.Client(gone)
		put(t, client, gone.Bucket, "left/behind", "x")
		// An unfinished multipart upload must not keep the bucket either.
		if _, err := client.CreateMultipartUpload(t.Context(), &s3.CreateMultipartUploadInput{Bucket: &gone.Bucket, Key: aws.String("partial")}); err != nil {
			t.Fatal(err)
		}
	})
	_, err := s3test.Client(gone).HeadBucket(t.Context(), &s3.HeadBucketInput{Bucket: &gone.Bucket})
	if httpStatus(err) != http.StatusNotFound {
		t.Fatalf("HeadBucket %s after its test's clean-up: %v; want HTTP 404", gone.Bucket, err)
	}
}

// TestWorkingFolderUnchanged checks that the gateway (whose backend
// changes its process's working folder) leaves the tests' alone.
func TestWorkingFolderUnchanged(t *testing.T) {
	t.Parallel()
	before, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	s3test.New(t)
	after, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if before != after {
		t.Fatalf("working folder changed from %s to %s", before, after)
	}
	if _, err := os.Stat("s3test_test.go"); err != nil {
		t.Fatalf("a relative path no longer opens: %v", err)
	}
}
