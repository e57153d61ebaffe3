"""agentload.distributed"""
