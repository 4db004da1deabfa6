// Package scaleout tests Lectern as several processes on one PostgreSQL
// database behind a load balancer (see scaleout_test.go). It has no code
// of its own.
package scaleout
