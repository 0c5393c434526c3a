"""Local fake servers on 127.0.0.1 with fault injection, for end-to-end tests of the edge."""
