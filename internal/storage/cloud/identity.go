package cloud

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// identityKey is the object, under the store's prefix, that holds the
// servers' shared TLS certificate and key.
const identityKey = "tls/identity.pem"

// maxIdentity bounds the identity object read into memory.
const maxIdentity = 64 << 10

// SharedIdentity returns the TLS certificate and key (PEM) that every
// server on this bucket presents, so that clients, which pin the
// certificate, reach any of them behind one address. The first server
// stores what newIdentity returns, with If-None-Match: * so that of servers
// starting together one wins and the others read its identity; created
// reports whether this one did.
func (s *Store) SharedIdentity(ctx context.Context, newIdentity func() ([]byte, error)) (pem []byte, created bool, err error) {
	key := s.obj.prefix + identityKey
	for range 3 {
		out, err := s.obj.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.obj.bucket, Key: &key})
		if err == nil {
			pem, err = io.ReadAll(io.LimitReader(out.Body, maxIdentity))
			out.Body.Close()
			if err != nil {
				return nil, false, fmt.Errorf("reading the servers' TLS identity: %w", err)
			}
			return pem, false, nil
		}
		if statusOf(err) != http.StatusNotFound {
			return nil, false, fmt.Errorf("reading the servers' TLS identity: %w", err)
		}
		fresh, err := newIdentity()
		if err != nil {
			return nil, false, err
		}
		_, err = s.obj.c.PutObject(ctx, &s3.PutObjectInput{
			Bucket: &s.obj.bucket, Key: &key, Body: bytes.NewReader(fresh),
			ContentLength: aws.Int64(int64(len(fresh))), IfNoneMatch: aws.String("*"),
		})
		switch status := statusOf(err); {
		case err == nil:
			return fresh, true, nil
		case status != http.StatusPreconditionFailed && status != http.StatusConflict:
			return nil, false, fmt.Errorf("storing the servers' TLS identity: %w", err)
		}
		// Another server stored one first: read it.
	}
	return nil, false, errors.New("the servers' TLS identity keeps changing in the bucket")
}

// statusOf returns the HTTP status of a failed S3 request, or 0.
func statusOf(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}
