"""One module per family of answers; each renderer takes an Answer and reads the typed Results
of its tools with `Answer.get(<tool>.Result)`. chat.offline.compose picks one per intent."""
