package cloud

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// objects is the bucket: chunks are put once, read by ranges, deleted by
// the sweep.
type objects struct {
	c      *s3.Client
	bucket string
	prefix string
}

// check fails unless the bucket can be reached.
func (o objects) check(ctx context.Context) error {
	if _, err := o.c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &o.bucket}); err != nil {
		return fmt.Errorf("reaching the bucket %s: %w", o.bucket, err)
	}
	return nil
}

func (o objects) put(ctx context.Context, key string, data []byte) error {
	_, err := o.c.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        &o.bucket,
		Key:           aws.String(o.prefix + key),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	})
	if err != nil {
		return fmt.Errorf("storing an object: %w", err)
	}
	return nil
}

// get returns n bytes of the object key from off on.
func (o objects) get(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	out, err := o.c.GetObject(ctx, &s3.GetObjectInput{
		Bucket: &o.bucket,
		Key:    aws.String(o.prefix + key),
		Range:  aws.String(fmt.Sprintf("bytes=%d-%d", off, off+n-1)),
	})
	if err != nil {
		return nil, fmt.Errorf("reading an object: %w", err)
	}
	return out.Body, nil
}

// remove deletes the objects keys, up to 1,000 at a time.
func (o objects) remove(ctx context.Context, keys []string) error {
	for len(keys) > 0 {
		batch := keys[:min(len(keys), 1000)]
		keys = keys[len(batch):]
		ids := make([]types.ObjectIdentifier, len(batch))
		for i, k := range batch {
			ids[i] = types.ObjectIdentifier{Key: aws.String(o.prefix + k)}
		}
		out, err := o.c.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: &o.bucket,
			Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return fmt.Errorf("removing objects: %w", err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return fmt.Errorf("removing objects: %d refused, the first %s: %s", len(out.Errors), aws.ToString(e.Key), aws.ToString(e.Message))
		}
	}
	return nil
}
