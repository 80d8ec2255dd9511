// Package storage owns the files of every user: the Store and Space
// interfaces the service layer talks to, and Local, the implementation that
// keeps each user's files in a folder on the local disk.
//
// Paths given to a Space are '/'-separated and relative to the user's top
// folder ("." is the top folder itself). The service layer validates and
// cleans them, but a Space checks them again and refuses, with
// ErrInvalidPath, anything that could name something outside the folder or
// inside the store's own data.
//
// Local confines every access with os.Root, so neither a hostile path nor a
// symbolic link planted in a user's folder can reach anything outside it.
// The store keeps its own data (unfinished uploads) in a folder named
// ".netdisk" at the top of each user's folder, so partial uploads count
// against the user's quota and committing one is a rename within one file
// system. That folder is hidden from listings and refused as a path.
//
// An upload is written to a partial file and becomes the target only by
// Commit, which renames it over the target atomically: readers see either
// the old version or the new one, never a mix.
package storage
