// The models/ part of the library: re-exports of each module in this folder.
export {};
