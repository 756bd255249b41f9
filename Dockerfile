# syntax=docker/dockerfile:1
# One image for every process: the gateway by default, and
#   mantenimiento migrate | mantenimiento worker --queues ordenes | mantenimiento demo-data ...
# Build: docker build -t mantenimiento .   (docker-compose.yml builds it for you)

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src

# The dependencies first, from pyproject.toml alone: this layer is rebuilt only when
# pyproject.toml changes, not on every source edit.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt

# Then the project itself: setuptools needs the packages present to build it. (README* may
# match nothing; pyproject.toml is named again only so that this COPY always has a source.)
COPY pyproject.toml README* ./
COPY gateway/ gateway/
COPY shared/ shared/
COPY workers/ workers/
COPY migrations/ migrations/
RUN pip install .

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080
RUN useradd --system --create-home --uid 10001 --user-group mantenimiento
COPY --from=build /opt/venv /opt/venv
USER mantenimiento
WORKDIR /home/mantenimiento
EXPOSE 8080
CMD ["mantenimiento", "gateway"]
