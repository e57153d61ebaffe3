"""agentload.monitoring"""
