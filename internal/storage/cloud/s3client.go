package cloud

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3Settings say how to reach an S3-compatible server.
type S3Settings struct {
	Endpoint  string // e.g. https://s3.example.com or http://127.0.0.1:7070
	Region    string // default us-east-1
	AccessKey string
	SecretKey string
}

// NewS3Client returns a client for s: path-style addressing (which every
// S3-compatible server takes), checksums only where the API requires them
// (several such servers refuse the newer default ones).
func NewS3Client(s S3Settings) *s3.Client {
	region := s.Region
	if region == "" {
		region = "us-east-1"
	}
	return s3.New(s3.Options{
		BaseEndpoint:               aws.String(s.Endpoint),
		Region:                     region,
		Credentials:                credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
		UsePathStyle:               true,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}
