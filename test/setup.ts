// Shared per-test set-up; later layers register their global checks here.
export {}
