"""Reports people read: the monthly availability of the dedicated data network's links and
agencies (``netwarden report availability``) and the national incident report drafts."""
