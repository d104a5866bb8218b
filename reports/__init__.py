"""Reports people read: availability, national incident report drafts."""
