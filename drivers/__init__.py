"""Hardware behind interfaces, each with a real and a simulated implementation."""
