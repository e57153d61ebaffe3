"""agentload.metrics"""
