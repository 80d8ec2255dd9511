package s3test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"netdisk/internal/testsrv"
)

const (
	// region is the one region the gateway reports.
	region = "us-east-1"
	// requestTimeout bounds the requests New and its clean-up make.
	requestTimeout = 30 * time.Second
)

// Endpoint is where a test's bucket is.
type Endpoint struct {
	URL       string // http://127.0.0.1:PORT
	Region    string // us-east-1
	AccessKey string
	SecretKey string
	Bucket    string // a new, empty bucket for this test
}

var (
	// shared is the gateway, started by the first New, stopped by Stop.
	shared = testsrv.Shared[*gateway]{Name: "s3test", Start: startGateway, Halt: (*gateway).stop}

	// buckets counts the buckets made, for their names.
	buckets atomic.Int64
)

// Main runs the package's tests, then stops the gateway if one was
// started, and exits with the tests' code. Call it from TestMain:
//
//	func TestMain(m *testing.M) { s3test.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops the gateway if one was started (SIGTERM to its process, then
// SIGKILL if it has not exited in time) and removes its folder. Main calls
// it; a TestMain that runs the tests itself (to stop other harnesses too)
// calls it after m.Run.
func Stop() { shared.Stop() }

// New returns a new, empty bucket on the shared gateway, started at the
// first call. At the test's clean-up the bucket's objects and unfinished
// multipart uploads are removed and then the bucket; a failure there is
// logged, not fatal.
func New(t testing.TB) Endpoint {
	t.Helper()
	g, err := shared.Get()
	if err != nil {
		t.Fatalf("s3test: %v", err)
	}
	e := Endpoint{
		URL:       g.url,
		Region:    region,
		AccessKey: g.accessKey,
		SecretKey: g.secretKey,
		Bucket:    fmt.Sprintf("t-%d-%s", buckets.Add(1), testsrv.RandomHex(4)),
	}
	client := Client(e)
	ctx, cancel := context.WithTimeout(t.Context(), requestTimeout)
	defer cancel()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &e.Bucket}); err != nil {
		t.Fatalf("s3test: creating bucket %s: %v", e.Bucket, err)
	}
	t.Cleanup(func() {
		// The test's own context is done by now: clean up under a new one.
		ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
		defer cancel()
		if err := removeBucket(ctx, client, e.Bucket); err != nil {
			t.Logf("s3test: removing bucket %s: %v", e.Bucket, err)
		}
	})
	return e
}

// Client returns an S3 client for e: path-style addressing, e's static
// credentials, and checksums calculated and validated only when an
// operation requires them, as S3-compatible servers expect. It reads no
// AWS environment variables or shared configuration files.
func Client(e Endpoint) *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint:               aws.String(e.URL),
		Region:                     e.Region,
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(e.AccessKey, e.SecretKey, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// removeBucket aborts the bucket's multipart uploads, deletes its objects
// a page at a time, and deletes the bucket.
func removeBucket(ctx context.Context, client *s3.Client, bucket string) error {
	uploads := s3.NewListMultipartUploadsPaginator(client, &s3.ListMultipartUploadsInput{Bucket: &bucket})
	for uploads.HasMorePages() {
		page, err := uploads.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing multipart uploads: %w", err)
		}
		for _, u := range page.Uploads {
			if _, err := client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: u.Key, UploadId: u.UploadId}); err != nil {
				return fmt.Errorf("aborting upload of %s: %w", aws.ToString(u.Key), err)
			}
		}
	}

	objects := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: &bucket})
	for objects.HasMorePages() {
		page, err := objects.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("listing objects: %w", err)
		}
		if len(page.Contents) == 0 {
			continue
		}
		ids := make([]types.ObjectIdentifier, len(page.Contents))
		for i, o := range page.Contents {
			ids[i] = types.ObjectIdentifier{Key: o.Key}
		}
		out, err := client.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: &bucket, Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)}})
		if err != nil {
			return fmt.Errorf("deleting objects: %w", err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return fmt.Errorf("deleting %s: %s %s (and %d more)", aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message), len(out.Errors)-1)
		}
	}

	if _, err := client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &bucket}); err != nil {
		return err
	}
	return nil
}
